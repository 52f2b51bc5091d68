"""Function URLs serving requests: a real Python function behind a real server, reached with
http.client by its Host (<url-id>.lambda-url.<region>.localhost) and by the path form
(/_overcast/lambda-url/<url-id>/...)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlsplit

import pytest

from tests.services.lambda_.helpers import call_url as call
from tests.services.lambda_.helpers import create_python, signed_headers
from tests.support.server import ServerProcess

FUNCTION = """
import base64, json

def handler(event, context):
    mode = (event.get("queryStringParameters") or {}).get("mode", "echo")
    if mode == "fail":
        raise RuntimeError("boom")
    if mode == "plain":
        return {"hello": "world"}
    if mode == "string":
        return "hello"
    if mode == "list":
        return ["hello", 3, True]
    if mode == "binary":
        return {"statusCode": 201, "headers": {"X-Custom": "v", "Access-Control-Allow-Origin": "https://evil"},
                "cookies": ["a=1", "b=2"], "body": base64.b64encode(b"\\x00\\x01").decode(), "isBase64Encoded": True}
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"event": event, "version": context.function_version})}
"""
FORBIDDEN = {"Message": "Forbidden. For troubleshooting Function URL authorization issues, see: "
                        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}


def make_public(lam, name: str, qualifier: str | None = None) -> None:
    """The two statements a public URL needs since October 2025 (the developer guide's "Control
    access to Lambda function URLs")."""
    extra = {"Qualifier": qualifier} if qualifier else {}
    lam.add_permission(FunctionName=name, StatementId="public", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE", **extra)
    lam.add_permission(FunctionName=name, StatementId="public-invoke", Action="lambda:InvokeFunction", Principal="*",
                       InvokedViaFunctionUrl=True, **extra)


@pytest.fixture(scope="module")
def public_url(lam, server):
    name = create_python(lam, FUNCTION)
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    make_public(lam, name)
    return name, url


def test_the_event_is_payload_format_2(public_url, server, lam):
    name, url = public_url
    status, headers, data, _ = call(
        server.port, url, "POST", "/some/path%20x?b=2&a=1&a=3&mode=echo", body=b"hello there",
        headers={"Content-Type": "text/plain", "X-Multi": "one", "Cookie": "c1=v1; c2=v2", "User-Agent": "ua/1"})
    assert status == 200 and headers["content-type"] == "application/json"
    event = json.loads(data)["event"]
    url_id = urlsplit(url).hostname.split(".")[0]
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path%20x"
    assert event["rawQueryString"] == "b=2&a=1&a=3&mode=echo"
    assert event["queryStringParameters"] == {"a": "1,3", "b": "2", "mode": "echo"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-multi"] == "one" and event["headers"]["user-agent"] == "ua/1"
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["body"] == "hello there" and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["accountId"] == "anonymous" and context["apiId"] == url_id
    assert context["domainName"] == urlsplit(url).hostname and context["domainPrefix"] == url_id
    assert context["http"] == {"method": "POST", "path": "/some/path%20x", "protocol": "HTTP/1.1",
                               "sourceIp": "127.0.0.1", "userAgent": "ua/1"}
    assert context["routeKey"] == "$default" and context["stage"] == "$default"
    assert isinstance(context["timeEpoch"], int) and context["time"].endswith(" +0000")
    assert headers["x-amzn-requestid"] == context["requestId"]
    assert json.loads(data)["version"] == "$LATEST"


def test_binary_and_form_bodies_arrive_base64_and_an_empty_one_not_at_all(public_url, server):
    _, url = public_url
    for content_type in ("application/octet-stream", "application/x-www-form-urlencoded"):
        raw = b"\xff\x00a=b"
        event = json.loads(call(server.port, url, "PUT", "/?mode=echo", body=raw,
                                headers={"Content-Type": content_type})[2])["event"]
        assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == raw
    event = json.loads(call(server.port, url, "GET", "/")[2])["event"]
    assert "body" not in event and event["isBase64Encoded"] is False
    assert "queryStringParameters" not in event and event["rawQueryString"] == ""
    assert "cookies" not in event


def test_the_path_form_reaches_the_same_function(public_url, server):
    _, url = public_url
    status, _, data, _ = call(server.port, url, "GET", "/deep/path?mode=echo", path_form=True)
    event = json.loads(data)["event"]
    assert status == 200 and event["rawPath"] == "/deep/path"
    assert event["requestContext"]["domainName"] == urlsplit(url).hostname


@pytest.mark.parametrize("mode, body", [
    ("plain", b'{"hello":"world"}'), ("string", b"hello"), ("list", b'["hello",3,true]')])
def test_values_that_are_not_responses_are_a_json_200(public_url, server, mode, body):
    _, url = public_url
    status, headers, data, _ = call(server.port, url, "GET", f"/?mode={mode}")
    assert (status, headers["content-type"], data) == (200, "application/json", body)


def test_a_response_object_sets_status_headers_cookies_and_a_base64_body(public_url, server):
    _, url = public_url
    status, headers, data, pairs = call(server.port, url, "GET", "/?mode=binary")
    assert (status, data, headers["x-custom"]) == (201, b"\x00\x01", "v")
    assert [v for k, v in pairs if k.lower() == "set-cookie"] == ["a=1", "b=2"]


def test_a_function_error_is_a_502(public_url, server):
    _, url = public_url
    status, _, data, _ = call(server.port, url, "GET", "/?mode=fail")
    assert (status, data) == (502, b"Internal Server Error")


def test_an_unknown_url_and_a_url_without_a_public_statement_are_refused(lam, server):
    name = create_python(lam, FUNCTION)
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    status, headers, data, _ = call(server.port, url, "GET", "/?mode=plain")
    assert (status, json.loads(data), headers["x-amzn-errortype"]) == (403, FORBIDDEN, "AccessDeniedException")
    # A statement for some other principal or action does not open the URL.
    lam.add_permission(FunctionName=name, StatementId="other", Action="lambda:InvokeFunction", Principal="*",
                       SourceAccount="111122223333")
    assert call(server.port, url, "GET", "/?mode=plain")[0] == 403
    make_public(lam, name)
    assert call(server.port, url, "GET", "/?mode=plain")[:3:2] == (200, b'{"hello":"world"}')
    # Since October 2025 a URL needs both statements: either alone leaves it closed.
    lam.remove_permission(FunctionName=name, StatementId="public")
    status, _, data, _ = call(server.port, url, "GET", "/?mode=plain")
    assert (status, json.loads(data)) == (403, FORBIDDEN)
    lam.add_permission(FunctionName=name, StatementId="public", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE")
    assert call(server.port, url, "GET", "/?mode=plain")[0] == 200
    lam.remove_permission(FunctionName=name, StatementId="public-invoke")
    status, _, data, _ = call(server.port, url, "GET", "/?mode=plain")
    assert (status, json.loads(data)) == (403, FORBIDDEN)

    unknown = url.replace(urlsplit(url).hostname.split(".")[0], "0123456789abcdefghijklmnopqrstuv")
    for path_form in (False, True):
        status, headers, data, _ = call(server.port, unknown, "GET", "/", path_form=path_form)
        assert (status, data, headers["content-type"], headers["x-amzn-errortype"]) == (
            403, b'{"Message":null}', "application/json", "AccessDeniedException")


def test_an_alias_url_runs_the_alias_version_under_the_alias_policy(lam, server):
    name = create_python(lam, FUNCTION)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    url = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")["FunctionUrl"]
    make_public(lam, name)  # the unqualified function's policy does not open the alias's URL
    assert call(server.port, url, "GET", "/")[0] == 403
    make_public(lam, name, "live")
    status, _, data, _ = call(server.port, url, "GET", "/?mode=echo")
    assert status == 200 and json.loads(data)["version"] == version


def test_cors_preflight_and_response_headers_come_from_the_url(lam, server):
    name = create_python(lam, FUNCTION)
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE", Cors={
        "AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["x-token"],
        "ExposeHeaders": ["x-custom"], "MaxAge": 300, "AllowCredentials": True})["FunctionUrl"]
    make_public(lam, name)
    status, headers, _, _ = call(server.port, url, "OPTIONS", "/", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert headers["access-control-allow-methods"] == "GET,POST"
    assert headers["access-control-allow-headers"] == "x-token"
    assert headers["access-control-max-age"] == "300"
    assert headers["access-control-allow-credentials"] == "true"

    status, headers, _, _ = call(server.port, url, "GET", "/?mode=binary", headers={"Origin": "https://app.example"})
    assert status == 201
    assert headers["access-control-allow-origin"] == "https://app.example"  # the function's own is replaced
    assert headers["access-control-expose-headers"] == "x-custom"

    status, headers, _, _ = call(server.port, url, "GET", "/?mode=binary", headers={"Origin": "https://other"})
    assert "access-control-allow-origin" not in headers


def test_aws_iam_urls_take_signed_requests_only(lam, server):
    name = create_python(lam, FUNCTION)
    url = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    status, headers, data, _ = call(server.port, url, "GET", "/?mode=echo")
    assert (status, json.loads(data), headers["x-amzn-errortype"]) == (403, FORBIDDEN, "AccessDeniedException")
    status, _, data, _ = call(server.port, url, "POST", "/?mode=echo", body=b"{}",
                              headers={**signed_headers(url, "POST", "/?mode=echo", b"{}"),
                                       "Content-Type": "application/json"})
    assert status == 200
    context = json.loads(data)["event"]["requestContext"]
    assert context["authorizer"]["iam"]["accessKey"] == "test"
    assert context["accountId"] == context["authorizer"]["iam"]["accountId"]


def test_signatures_are_checked_under_verify_signatures(tmp_path):
    from tests.conftest import make_client

    proc = ServerProcess(tmp_path / "data", extra_args=["--verify-signatures", "--credentials", "test:test"])
    proc.start()
    try:
        lam = make_client("lambda", proc.endpoint_url)
        name = create_python(lam, FUNCTION)
        url = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
        good = signed_headers(url, "GET", "/?mode=plain", b"")
        assert call(proc.port, url, "GET", "/?mode=plain", headers=good)[:3:2] == (200, b'{"hello":"world"}')
        bad = signed_headers(url, "GET", "/?mode=plain", b"", secret="wrong")
        status, headers, _, _ = call(proc.port, url, "GET", "/?mode=plain", headers=bad)
        assert (status, headers["x-amzn-errortype"]) == (403, "InvalidSignatureException")
        stranger = signed_headers(url, "GET", "/?mode=plain", b"", key="AKIDUNKNOWN")
        assert call(proc.port, url, "GET", "/?mode=plain", headers=stranger)[0] == 403
    finally:
        proc.stop()


def test_add_permission_writes_the_invoked_via_function_url_condition(lam):
    name = create_python(lam, FUNCTION)
    statement = json.loads(lam.add_permission(
        FunctionName=name, StatementId="via-url", Action="lambda:InvokeFunction", Principal="*",
        InvokedViaFunctionUrl=True)["Statement"])
    assert statement["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}


def test_aws_iam_urls_refuse_other_accounts_without_a_resource_policy_grant(lam, server):
    """Another account's signed request reaches an AWS_IAM URL only through the function's
    resource-based policy (the developer guide's cross-account example: Principal naming the
    account, Action lambda:InvokeFunctionUrl, condition FunctionUrlAuthType AWS_IAM)."""
    name = create_python(lam, FUNCTION)
    url = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]

    def as_account(account: str):
        return call(server.port, url, "GET", "/?mode=echo",
                    headers=signed_headers(url, "GET", "/?mode=echo", b"", key=account))

    status, headers, data, _ = as_account("222222222222")
    assert (status, json.loads(data), headers["x-amzn-errortype"]) == (403, FORBIDDEN, "AccessDeniedException")
    for action, condition in (("lambda:InvokeFunctionUrl", {"FunctionUrlAuthType": "AWS_IAM"}),
                              ("lambda:InvokeFunction", {"InvokedViaFunctionUrl": True})):
        lam.add_permission(FunctionName=name, StatementId=f"other-{action[7:]}", Action=action,
                           Principal="333333333333", **condition)
    assert as_account("222222222222")[0] == 403  # a grant to a third account is not one to this one
    lam.add_permission(FunctionName=name, StatementId="partner", Action="lambda:InvokeFunctionUrl",
                       Principal="arn:aws:iam::222222222222:role/example", FunctionUrlAuthType="AWS_IAM")
    assert as_account("222222222222")[0] == 403  # lambda:InvokeFunction is needed as well (October 2025 on)
    lam.add_permission(FunctionName=name, StatementId="partner-invoke", Action="lambda:InvokeFunction",
                       Principal="arn:aws:iam::222222222222:role/example", InvokedViaFunctionUrl=True)
    status, _, data, _ = as_account("222222222222")
    assert status == 200
    assert json.loads(data)["event"]["requestContext"]["accountId"] == "222222222222"
    assert as_account("333333333333")[0] == 200


def test_a_url_is_not_served_at_another_regions_host(public_url, server):
    _, url = public_url
    elsewhere = url.replace(".lambda-url.us-east-1.", ".lambda-url.eu-west-1.")
    assert elsewhere != url
    status, headers, data, _ = call(server.port, elsewhere, "GET", "/?mode=plain")
    assert (status, data, headers["x-amzn-errortype"]) == (403, b'{"Message":null}', "AccessDeniedException")
    assert call(server.port, url, "GET", "/?mode=plain")[0] == 200


# Answers with the response object the request's query names (r=<JSON>).
ANSWERS_AS_TOLD = """
import json

def handler(event, context):
    return json.loads(event["queryStringParameters"]["r"])
"""


@pytest.fixture(scope="module")
def told_url(lam):
    name = create_python(lam, ANSWERS_AS_TOLD)
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    make_public(lam, name)
    return url


@pytest.mark.parametrize("answer", [
    {"statusCode": 200, "headers": ["x"]}, {"statusCode": 200, "headers": "x"}, {"statusCode": 99999},
    {"statusCode": -1}, {"statusCode": True}, {"statusCode": 200, "cookies": "a=1"}])
def test_a_response_object_that_cannot_be_a_response_is_a_502(told_url, server, answer):
    """Headers that are not an object, a status outside HTTP's, cookies that are not a list: the
    function answered wrongly, and the client gets the 502 of a failed function (these were a
    server traceback and a dropped connection, or a status line HTTP clients refuse)."""
    status, _, data, _ = call(server.port, told_url, "GET", "/?r=" + quote(json.dumps(answer)))
    assert (status, data) == (502, b"Internal Server Error")


def test_a_function_does_not_frame_the_response(told_url, server):
    """Content-Length and Transfer-Encoding from the function would frame the message wrongly
    (a client waiting for 1000 bytes, or for chunks that never come): the endpoint frames the body
    it sends."""
    for framing in ({"Content-Length": "1000"}, {"Transfer-Encoding": "chunked"}, {"Connection": "close"}):
        answer = {"statusCode": 200, "headers": {"X-Kept": "yes", **framing}, "body": "hello"}
        status, headers, data, _ = call(server.port, told_url, "GET", "/?r=" + quote(json.dumps(answer)))
        assert (status, data, headers["x-kept"], headers["content-length"]) == (200, b"hello", "yes", "5")
        assert "transfer-encoding" not in headers
