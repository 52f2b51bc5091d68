"""Custom domain names and base path mappings, and invoking an API through its custom domain."""

from __future__ import annotations

import http.client
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.services.apigateway.conftest import mock_method, new_api
from tests.services.apigateway.test_control_plane import error_of


def get(server, host: str, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", path, headers={"Host": f"{host}:{server.port}"})
    response = connection.getresponse()
    out = response.status, response.read()
    connection.close()
    return out


def test_domain_names_and_base_path_mappings(apigw, server):
    api_id, root = new_api(apigw)
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    mock_method(apigw, api_id, pets, response_template='{"stage": "$context.stage", "path": "$context.resourcePath"}')
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    name = f"api-{uuid.uuid4().hex[:6]}.example.test"
    domain = apigw.create_domain_name(domainName=name, regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:certificate/x",
                                      endpointConfiguration={"types": ["REGIONAL"]})
    assert domain["domainName"] == name and domain["regionalDomainName"].endswith(".amazonaws.com")
    with pytest.raises(ClientError) as excinfo:
        apigw.create_domain_name(domainName=name)
    assert error_of(excinfo) == ("ConflictException", "The domain name you provided already exists.", 409)
    apigw.create_base_path_mapping(domainName=name, basePath="v1", restApiId=api_id, stage="prod")
    apigw.create_base_path_mapping(domainName=name, restApiId=api_id)
    assert {m["basePath"] for m in apigw.get_base_path_mappings(domainName=name)["items"]} == {"v1", "(none)"}
    assert get(server, name, "/v1/pets") == (200, b'{"stage": "prod", "path": "/pets"}')
    assert get(server, name, "/prod/pets") == (200, b'{"stage": "prod", "path": "/pets"}')  # (none): stage in path
    apigw.delete_base_path_mapping(domainName=name, basePath="v1")
    with pytest.raises(ClientError) as excinfo:
        apigw.get_base_path_mapping(domainName=name, basePath="v1")
    assert error_of(excinfo) == ("NotFoundException", "Invalid base path mapping identifier specified", 404)
    apigw.delete_domain_name(domainName=name)
    with pytest.raises(ClientError) as excinfo:
        apigw.get_domain_name(domainName=name)
    assert error_of(excinfo) == ("NotFoundException", "Invalid domain name identifier specified", 404)

