"""Method authorization other than Lambda authorizers (AWS_IAM, Cognito user pools), stage
throttling per method, and the payload limit."""

from __future__ import annotations

import base64
import json
import time

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


def test_aws_iam_needs_a_signature(apigw, server):
    api_id, root = new_api(apigw)
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="AWS_IAM")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="dev")
    unsigned = call(server, api_id, "dev", "/")
    assert unsigned.status == 403 and unsigned.json() == {"message": "Missing Authentication Token"}
    signed = call(server, api_id, "dev", "/", headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/execute-api/aws4_request, "
                         "SignedHeaders=host, Signature=00"})
    assert signed.status == 200


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
