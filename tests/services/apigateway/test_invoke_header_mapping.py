"""Parameter mappings onto headers an integration request may not be given: PutIntegration takes
them, every invocation then fails with 500 (LocalStack's AWS-validated
TestApiGatewayHeaderRemapping snapshots, HTTP/HTTP_PROXY and AWS/AWS_PROXY, recorded 2024)."""

from __future__ import annotations

import uuid

import pytest

from tests.services.apigateway.conftest import call, new_api
from tests.services.apigateway.test_invoke_http import backend  # noqa: F401 (fixture)


def _http_api(apigw, kind: str, url: str, mapping: dict[str, str]) -> str:
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type=kind,
                          integrationHttpMethod="POST", uri=url, requestParameters=mapping)
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="test")
    return api_id


def _assert_internal_error(answer) -> None:
    assert answer.status == 500
    assert answer.json() == {"message": "Internal server error"}
    assert answer.headers["x-amzn-errortype"] == "InternalServerErrorException"


@pytest.mark.parametrize("kind", ["HTTP", "HTTP_PROXY"])
@pytest.mark.parametrize("header", ["Content-Length", "Transfer-Encoding"])
def test_http_integrations_refuse_framing_headers(apigw, server, backend, kind, header):  # noqa: F811
    api_id = _http_api(apigw, kind, backend + "/echo", {f"integration.request.header.{header}": "'0'"})
    _assert_internal_error(call(server, api_id, "test", "/"))


@pytest.mark.parametrize("kind", ["HTTP", "HTTP_PROXY"])
def test_http_integrations_take_other_header_mappings(apigw, server, backend, kind):  # noqa: F811
    # Connection and Authorization are in AWS's "full" HTTP mapping, which answered 200.
    api_id = _http_api(apigw, kind, backend + "/echo", {"integration.request.header.Authorization": "'mapped'",
                                                         "integration.request.header.X-Extra": "'yes'"})
    answer = call(server, api_id, "test", "/")
    assert answer.status == 200
    assert answer.json()["headers"]["x-extra"] == "yes"


@pytest.mark.parametrize("header", ["Content-Length", "Transfer-Encoding", "Authorization", "Connection", "Expect",
                                    "Proxy-Authenticate", "TE"])
def test_aws_integrations_refuse_more_headers(apigw, client_factory, server, header):
    s3 = client_factory("s3")
    bucket = f"apigw-hdr-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"body")
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    # lower-cased on purpose: the header name is matched as HTTP matches it
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS",
                          integrationHttpMethod="GET", uri=f"arn:aws:apigateway:us-east-1:s3:path/{bucket}/k",
                          credentials="arn:aws:iam::000000000000:role/apigateway-s3",
                          requestParameters={f"integration.request.header.{header.lower()}": "'x'"})
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="test")
    _assert_internal_error(call(server, api_id, "test", "/"))
    # the same integration without the mapping answers
    apigw.update_integration(restApiId=api_id, resourceId=root, httpMethod="GET", patchOperations=[
        {"op": "remove", "path": f"/requestParameters/integration.request.header.{header.lower()}"}])
    apigw.create_deployment(restApiId=api_id, stageName="test")
    answer = call(server, api_id, "test", "/")
    assert (answer.status, answer.body) == (200, b"body")


def test_http_proxy_drops_the_client_headers_aws_drops(apigw, server, backend):  # noqa: F811
    """HTTP_PROXY passes the client's headers on, except those AWS's recorded backend never saw
    (no-param-integration: Content-MD5, Max-Forwards, Proxy-Authenticate, Server, TE, Trailer,
    Upgrade, Via, WWW-Authenticate missing, Referer and Warn kept)."""
    api_id = _http_api(apigw, "HTTP_PROXY", backend + "/echo", {})
    sent = {"Content-MD5": "m", "Max-Forwards": "2", "Proxy-Authenticate": "Basic", "Server": "s", "TE": "deflate",
            "Trailer": "Expires", "Upgrade": "HTTP/2.0", "Via": "p.example.net", "WWW-Authenticate": "Basic x",
            "Referer": "https://example.com/", "Warn": "299 x"}
    seen = call(server, api_id, "test", "/", headers=sent).json()["headers"]
    assert seen["referer"] == "https://example.com/" and seen["warn"] == "299 x"
    for name in ("content-md5", "max-forwards", "proxy-authenticate", "server", "te", "trailer", "upgrade", "via",
                 "www-authenticate"):
        assert name not in seen, name


@pytest.mark.parametrize("kind", ["HTTP", "HTTP_PROXY"])
def test_mapped_headers_aws_never_forwards(apigw, server, backend, kind):  # noqa: F811
    """Mapped Connection, Expect, Proxy-Authenticate, TE and Via never reach the backend; mapped
    Trailer, Upgrade and Max-Forwards do (full-integration in the same snapshots)."""
    mapping = {f"integration.request.header.{name}": f"'{value}'" for name, value in (
        ("Connection", "keep-alive"), ("Expect", "200-ok"), ("Proxy-Authenticate", "Basic"), ("TE", "gzip"),
        ("Via", "othersite.net"), ("Trailer", "user-agent"), ("Upgrade", "HTTP/2.0"), ("Max-Forwards", "2"))}
    api_id = _http_api(apigw, kind, backend + "/echo", mapping)
    answer = call(server, api_id, "test", "/")
    assert answer.status == 200
    seen = answer.json()["headers"]
    assert (seen["trailer"], seen["upgrade"], seen["max-forwards"]) == ("user-agent", "HTTP/2.0", "2")
    for name in ("expect", "proxy-authenticate", "te", "via"):
        assert name not in seen, name
    assert seen.get("connection") != "keep-alive"
