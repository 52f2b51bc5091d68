"""Whatever arrives, a REST parser answers with the operation or a ServiceError, never a crash."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overcast.protocol.errors import ServiceError
from overcast.protocol.model import load_service_model
from overcast.protocol.registry import parser_for
from overcast.server.http import Request, RequestBody

SEGMENTS = st.one_of(
    st.sampled_from(
        ["bkt", "key", "2015-03-31", "functions", "f", "restapis", "abc", "distribution", "2020-05-31", ""]
    ),
    st.text(alphabet="abc%2FE9+ /;:=?&", max_size=8),
)
QUERY_KEYS = st.sampled_from(
    [
        "list-type",
        "uploads",
        "uploadId",
        "partNumber",
        "max-keys",
        "versionId",
        "tagging",
        "delete",
        "Qualifier",
        "MaxItems",
        "x-id",
        "prefix",
        "limit",
        "position",
    ]
)
HEADER_NAMES = st.sampled_from(
    [
        "content-length",
        "content-type",
        "x-amz-copy-source",
        "x-amz-meta-a",
        "expires",
        "if-modified-since",
        "x-amz-object-lock-retain-until-date",
        "x-amz-invocation-type",
        "x-amz-decoded-content-length",
        "x-amz-bucket-object-lock-enabled",
        "x-amz-object-attributes",
        "range",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"<Delete><Object><Key>a</Key></Object></Delete>",
            b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>",
            b'{"FunctionName": "f", "Role": "r", "Code": {}}',
            b'{"name": 1}',
            b"<a><b>",
            b'{"a": [',
            b"\xff\xfe",
        ]
    ),
)


@pytest.mark.parametrize("service", ["s3", "lambda", "apigateway", "cloudfront"])
def test_parsers_never_crash(service: str) -> None:
    parser = parser_for(load_service_model(service))

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"]),
        segments=st.lists(SEGMENTS, max_size=5),
        query=st.lists(st.tuples(QUERY_KEYS, st.text(alphabet="12ab-=% ", max_size=5)), max_size=4),
        headers=st.dictionaries(HEADER_NAMES, st.text(alphabet='abc12 ,:-"=', max_size=12), max_size=5),
        host=st.sampled_from(["localhost", "bkt.s3.localhost", "localhost:4566", "b.localhost", ""]),
        body=BODIES,
    )
    def check(method, segments, query, headers, host, body) -> None:
        request = Request(
            method=method,
            path="/" + "/".join(segments),
            query_string="&".join(f"{k}={v}" for k, v in query),
            headers={"host": host, **headers},
            body=RequestBody.from_bytes(body),
        )
        try:
            op, params = asyncio.run(parser.parse(request))
        except ServiceError as error:
            assert 400 <= error.status < 500, error
        else:
            assert op.name

    check()
