"""REST traits our shipped models barely use, on a small synthetic model, both ways via botocore.

jsonvalue headers, querystring maps (of lists), quoted header lists, timestampFormat overrides in
every location, flattened and wrapped XML maps, non-finite floats, greedy labels mid-path.
"""

from __future__ import annotations

import asyncio
import copy
import math
from datetime import UTC, datetime
from typing import Any

import botocore.model
import pytest

from overcast.protocol.model import ServiceModel
from overcast.protocol.parsers.rest_json import RestJsonParser
from overcast.protocol.parsers.rest_xml import RestXmlParser
from overcast.protocol.serializers.rest_json import RestJsonSerializer
from overcast.protocol.serializers.rest_xml import RestXmlSerializer
from overcast.server.context import RequestContext
from overcast.server.http import Request, RequestBody
from tests.protocol.rest_wire import client_parse, client_request

WHEN = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)


def _raw(protocol: str) -> dict[str, Any]:
    return {
        "metadata": {
            "protocol": protocol,
            "apiVersion": "2020-01-01",
            "endpointPrefix": "synthetic",
            "serviceId": "Synthetic",
            "signatureVersion": "v4",
            "uid": "synthetic-2020-01-01",
        },
        "operations": {
            "Put": {
                "name": "Put",
                "http": {"method": "PUT", "requestUri": "/things/{Path+}/meta?kind=x", "responseCode": 200},
                "input": {"shape": "PutInput"},
                "output": {"shape": "PutOutput"},
            }
        },
        "shapes": {
            "PutInput": {
                "type": "structure",
                "required": ["Path"],
                "members": {
                    "Path": {"shape": "String", "location": "uri", "locationName": "Path"},
                    "Doc": {"shape": "JsonString", "location": "header", "locationName": "x-doc"},
                    "Names": {"shape": "StringList", "location": "header", "locationName": "x-names"},
                    "Since": {"shape": "EpochTime", "location": "header", "locationName": "x-since"},
                    "Until": {"shape": "Time", "location": "querystring", "locationName": "until"},
                    "Filters": {"shape": "MultiMap", "location": "querystring"},
                    "Body": {"shape": "Body", "locationName": "Body"},
                },
                "payload": "Body",
            },
            "Body": {
                "type": "structure",
                "members": {
                    "Flat": {"shape": "FlatMap", "flattened": True},
                    "Wrapped": {"shape": "Map"},
                    "Ratio": {"shape": "Double"},
                    "Stamp": {"shape": "HttpTime"},
                    "Items": {"shape": "StringList"},
                },
            },
            "PutOutput": {
                "type": "structure",
                "members": {
                    "Doc": {"shape": "JsonString", "location": "header", "locationName": "x-doc"},
                    "Names": {"shape": "StringList", "location": "header", "locationName": "x-names"},
                    "Since": {"shape": "EpochTime", "location": "header", "locationName": "x-since"},
                    "Body": {"shape": "Body"},
                },
                "payload": "Body",
            },
            "String": {"type": "string"},
            "JsonString": {"type": "string", "jsonvalue": True},
            "StringList": {"type": "list", "member": {"shape": "String"}},
            "MultiMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "StringList"}},
            "FlatMap": {
                "type": "map",
                "key": {"shape": "String"},
                "value": {"shape": "String"},
                "flattened": True,
            },
            "Map": {
                "type": "map",
                "key": {"shape": "String", "locationName": "k"},
                "value": {"shape": "String", "locationName": "v"},
            },
            "Double": {"type": "double"},
            "Time": {"type": "timestamp"},
            "EpochTime": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
            "HttpTime": {"type": "timestamp", "timestampFormat": "rfc822"},
        },
    }


PARAMS = {
    "Path": "a/b c/d",
    "Doc": {"k": [1, "two"], "n": None},
    "Names": ["plain", "with,comma", 'with"quote'],
    "Since": WHEN,
    "Until": WHEN,
    "Filters": {"color": ["red", "blue"], "size": ["xl"]},
    "Body": {
        "Flat": {"a": "1", "b": "2"},
        "Wrapped": {"x": "y"},
        "Ratio": 2.5,
        "Stamp": WHEN,
        "Items": ["i1", "i2"],
    },
}


@pytest.mark.parametrize("protocol", ["rest-xml", "rest-json"])
def test_request_traits(protocol: str) -> None:
    raw = _raw(protocol)
    ours = ServiceModel("synthetic", copy.deepcopy(raw))
    theirs = botocore.model.ServiceModel(copy.deepcopy(raw), "synthetic")
    parser = (RestXmlParser if protocol == "rest-xml" else RestJsonParser)(ours)
    params = copy.deepcopy(PARAMS)
    if protocol == "rest-json":
        del params["Body"]["Flat"]  # flattened means nothing in JSON
    request = client_request("synthetic", "Put", params, model=theirs)
    op, parsed = asyncio.run(parser.parse(request))
    assert op.name == "Put"
    assert parsed == params


@pytest.mark.parametrize("protocol", ["rest-xml", "rest-json"])
def test_response_traits(protocol: str) -> None:
    raw = _raw(protocol)
    ours = ServiceModel("synthetic", copy.deepcopy(raw))
    theirs = botocore.model.ServiceModel(copy.deepcopy(raw), "synthetic")
    serializer = (RestXmlSerializer if protocol == "rest-xml" else RestJsonSerializer)(ours)
    output = {"Doc": {"a": True}, "Names": ["x", "y"], "Since": WHEN, "Body": copy.deepcopy(PARAMS["Body"])}
    if protocol == "rest-json":
        del output["Body"]["Flat"]
    request = Request("PUT", "/", "", {}, RequestBody.from_bytes(b""))
    ctx = RequestContext(request=request, request_id="r", account_id="0", region="us-east-1")
    response = serializer.serialize(ctx, ours.operation("Put"), output)
    assert response.get_header("x-since") == str(int(WHEN.timestamp()))
    assert client_parse("synthetic", "Put", response, model=theirs) == output


def test_non_finite_floats_in_json() -> None:
    raw = _raw("rest-json")
    ours = ServiceModel("synthetic", copy.deepcopy(raw))
    theirs = botocore.model.ServiceModel(copy.deepcopy(raw), "synthetic")
    serializer = RestJsonSerializer(ours)
    request = Request("PUT", "/", "", {}, RequestBody.from_bytes(b""))
    ctx = RequestContext(request=request, request_id="r", account_id="0", region="us-east-1")
    for value in (math.inf, -math.inf):
        response = serializer.serialize(ctx, ours.operation("Put"), {"Body": {"Ratio": value}})
        assert client_parse("synthetic", "Put", response, model=theirs)["Body"]["Ratio"] == value
    response = serializer.serialize(ctx, ours.operation("Put"), {"Body": {"Ratio": math.nan}})
    assert math.isnan(client_parse("synthetic", "Put", response, model=theirs)["Body"]["Ratio"])
