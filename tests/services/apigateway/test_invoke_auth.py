"""Method authorization other than Lambda authorizers (AWS_IAM, Cognito user pools), stage
throttling per method, and the payload limit."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.services.apigateway.conftest import call, mock_method, new_api


def jwt(claims: dict) -> str:
    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.signature"


def test_cognito_user_pool_claims(apigw, server):
    api_id, root = new_api(apigw)
    authorizer = apigw.create_authorizer(restApiId=api_id, name="pool", type="COGNITO_USER_POOLS",
                                         providerARNs=["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_x"])
    mock_method(apigw, api_id, root, authorizationType="COGNITO_USER_POOLS", authorizerId=authorizer["id"],
                response_template='{"sub": "$context.authorizer.claims.sub", '
                                  '"email": "$context.authorizer.claims.email"}')
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    token = jwt({"sub": "u-1", "email": "a@example.com", "exp": int(time.time()) + 600})
    answer = call(server, api_id, "dev", "/", headers={"Authorization": token})
    assert answer.status == 200 and answer.json() == {"sub": "u-1", "email": "a@example.com"}
    assert call(server, api_id, "dev", "/").status == 401
    expired = jwt({"sub": "u-1", "exp": int(time.time()) - 10})
    assert call(server, api_id, "dev", "/", headers={"Authorization": expired}).json() == {"message": "Unauthorized"}


def iam_api(apigw) -> str:
    """GET and POST / with AWS_IAM authorization, answering the caller's access key."""
    api_id, root = new_api(apigw)
    for verb in ("GET", "POST"):
        mock_method(apigw, api_id, root, verb, authorizationType="AWS_IAM",
                    response_template='{"key": "$context.identity.accessKey"}')
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    return api_id


def signed(server, api_id: str, path: str, method: str = "GET", body: bytes = b"", key: str = "test",
           secret: str = "test", presign: bool = False) -> tuple[str, dict[str, str]]:
    """(path with query, headers) of a request signed by botocore for execute-api."""
    host = f"{api_id}.execute-api.localhost:{server.port}"
    request = AWSRequest(method=method, url=f"http://{host}/dev{path}", data=body, headers={"Host": host})
    signer = SigV4QueryAuth if presign else SigV4Auth
    signer(Credentials(key, secret), "execute-api", "us-east-1", **({"expires": 300} if presign else {})).add_auth(request)
    split = urlsplit(request.url)
    target = split.path[len("/dev"):] + (f"?{split.query}" if split.query else "")
    return target, {k: v for k, v in request.headers.items() if k.lower() != "host"}


def test_aws_iam_needs_a_signature(apigw, server):
    api_id = iam_api(apigw)
    unsigned = call(server, api_id, "dev", "/")
    assert unsigned.status == 403 and unsigned.json() == {"message": "Missing Authentication Token"}
    assert unsigned.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    bearer = call(server, api_id, "dev", "/", headers={"Authorization": "Bearer abc"})
    assert bearer.status == 403 and bearer.headers["x-amzn-errortype"] == "IncompleteSignatureException"
    assert bearer.json()["message"] == (
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either "
        "a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer abc")


def test_aws_iam_accepts_a_right_signature(apigw, server):
    api_id = iam_api(apigw)
    path, headers = signed(server, api_id, "/?a=1&b=two")
    answer = call(server, api_id, "dev", path, headers=headers)
    assert answer.status == 200 and answer.json() == {"key": "test"}
    body = b'{"hello": "world"}'
    path, headers = signed(server, api_id, "/", "POST", body)
    assert call(server, api_id, "dev", path, "POST", body, headers).status == 200
    path, headers = signed(server, api_id, "/?x=y", presign=True)
    assert call(server, api_id, "dev", path).status == 200


def test_aws_iam_refuses_a_wrong_signature(apigw, server):
    api_id = iam_api(apigw)
    path, headers = signed(server, api_id, "/", secret="not-the-secret")
    answer = call(server, api_id, "dev", path, headers=headers)
    assert answer.status == 403 and answer.headers["x-amzn-errortype"] == "InvalidSignatureException"
    message = answer.json()["message"]
    assert message.startswith("The request signature we calculated does not match the signature you provided. "
                              "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                              "for details.\n\nThe Canonical String for this request should have been\n'GET\n/dev/\n")
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in message
    # A body or query other than the one signed fails the same way.
    path, headers = signed(server, api_id, "/", "POST", b"signed")
    assert call(server, api_id, "dev", path, "POST", b"sent", headers).status == 403
    path, headers = signed(server, api_id, "/?a=1")
    assert call(server, api_id, "dev", "/?a=2", headers=headers).status == 403
    path, _ = signed(server, api_id, "/", secret="wrong", presign=True)
    presigned = call(server, api_id, "dev", path)
    assert presigned.status == 403 and presigned.headers["x-amzn-errortype"] == "InvalidSignatureException"


def test_aws_iam_accepts_keys_it_has_no_secret_for(apigw, server):
    # Overcast has no IAM: a key outside its configured credentials cannot be checked.
    api_id = iam_api(apigw)
    path, headers = signed(server, api_id, "/", key="AKIAUNKNOWNKEY000000", secret="anything")
    answer = call(server, api_id, "dev", path, headers=headers)
    assert answer.status == 200 and answer.json() == {"key": "AKIAUNKNOWNKEY000000"}


def test_stage_method_throttling(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, response_template="{}")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.001"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"}])
    statuses = [call(server, api_id, "dev", "/").status for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert call(server, api_id, "dev", "/").json() == {"message": "Too Many Requests"}


def test_payload_over_10_mb_is_413(apigw, server):
    api_id, root = new_api(apigw)
    mock_method(apigw, api_id, root, verb="POST", response_template="{}")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    answer = call(server, api_id, "dev", "/", "POST", b"x" * (10 * 1024 * 1024 + 1),
                  {"Content-Type": "application/octet-stream"})
    assert answer.status == 413
    assert answer.json() == {"message": "Request Too Long"}
