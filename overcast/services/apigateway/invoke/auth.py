"""Method authorization: AWS_IAM (SigV4, in iam.py), Lambda TOKEN and REQUEST
authorizers (policy evaluated against the method ARN, results cached by identity for the TTL),
and Cognito user pools (the token's claims)."""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import time
from typing import TYPE_CHECKING, Any

from overcast.services.apigateway.invoke.errors import GatewayError

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke.gateway import Gateway
    from overcast.services.apigateway.invoke.pipeline import Invocation


def unauthorized() -> GatewayError:
    return GatewayError("UNAUTHORIZED", 401, "Unauthorized", error_type="UnauthorizedException")


def access_denied(explicit: bool) -> GatewayError:
    text = "User is not authorized to access this resource" + (" with an explicit deny" if explicit else "")
    return GatewayError("ACCESS_DENIED", 403, text, error_type="AccessDeniedException",
                        raw_body=json.dumps({"Message": text}, separators=(",", ":")).encode())


def authorizer_failure() -> GatewayError:
    return GatewayError("AUTHORIZER_CONFIGURATION_ERROR", 500, "null", error_type="AuthorizerConfigurationException",
                        raw_body=b'{"message":null}')


def method_arn(inv: Invocation) -> str:
    return (f"arn:aws:execute-api:{inv.region}:{inv.account}:{inv.api_id}/{inv.stage_name}/{inv.verb}"
            f"{inv.path}")


def identity_value(source: str, inv: Invocation) -> str | None:
    source = source.strip()
    if source.startswith("method.request.header."):
        return inv.headers.get(source[len("method.request.header."):].lower())
    if source.startswith("method.request.querystring."):
        return inv.querystring().get(source[len("method.request.querystring."):])
    if source.startswith("stageVariables."):
        return inv.stage_variables.get(source[len("stageVariables."):])
    if source.startswith("context."):
        value: Any = inv.context()
        for part in source[len("context."):].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)
    return None


def _jwt_claims(token: str) -> dict[str, Any] | None:
    token = token.split(" ", 1)[-1]
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


def _resource_matches(pattern: str, arn: str) -> bool:
    return fnmatch.fnmatchcase(arn, pattern)


def evaluate_policy(policy: Any, arn: str) -> bool:
    """Allow only when a statement allows the ARN and none denies it."""
    statements = (policy or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions):
            continue
        resources = statement.get("Resource") or []
        resources = [resources] if isinstance(resources, str) else resources
        if not any(_resource_matches(r, arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            raise access_denied(True)
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


async def authorize(gateway: Gateway, inv: Invocation) -> None:
    kind = inv.method.get("authorizationType") or "NONE"
    if kind == "NONE":
        return
    if kind == "AWS_IAM":
        from overcast.services.apigateway.invoke.iam import check_iam

        check_iam(gateway, inv, inv.request)
        return
    authorizer = (inv.snapshot.get("authorizers") or {}).get(inv.method.get("authorizerId") or "")
    if authorizer is None:
        raise authorizer_failure()
    if authorizer.get("type") == "COGNITO_USER_POOLS":
        token = identity_value(authorizer.get("identitySource") or "method.request.header.Authorization", inv)
        claims = _jwt_claims(token or "")
        if claims is None:
            raise unauthorized()
        if claims.get("exp") and float(claims["exp"]) < gateway.provider.clock.time():
            raise unauthorized()
        inv.set_authorizer({"claims": claims})
        return
    await _lambda_authorizer(gateway, inv, authorizer)


async def _lambda_authorizer(gateway: Gateway, inv: Invocation, authorizer: dict[str, Any]) -> None:
    arn = method_arn(inv)
    result = await call_authorizer(gateway, inv, authorizer, arn)
    # A cached policy may have been written for another method: it is evaluated for this one.
    if not evaluate_policy(result.get("policyDocument"), arn):
        raise access_denied(False)
    from overcast.services.apigateway.invoke.lambda_ import scalar_text

    context = {k: scalar_text(v) for k, v in (result.get("context") or {}).items()}
    inv.set_authorizer({"principalId": result.get("principalId"), **context})
    if result.get("usageIdentifierKey"):
        inv.usage_identifier_key = str(result["usageIdentifierKey"])


async def call_authorizer(gateway: Gateway, inv: Invocation, authorizer: dict[str, Any], arn: str,
                          use_cache: bool = True) -> dict[str, Any]:
    """The Lambda authorizer's answer (principalId, policyDocument, context, ...) for this
    request, from the cache while its TTL lasts. Raises 401 when the identity is missing."""
    from overcast.services.apigateway.invoke.lambda_ import (
        function_error_message,
        invoke_function,
        proxy_event,
    )

    sources = [s for s in (authorizer.get("identitySource") or "").split(",") if s.strip()]
    values = [identity_value(s, inv) for s in sources]
    if authorizer.get("type") == "TOKEN":
        token = values[0] if values else None
        if not token:
            raise unauthorized()
        expression = authorizer.get("identityValidationExpression")
        if expression and not re.fullmatch(expression, token):
            raise unauthorized()
        event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
    else:
        if sources and any(not v for v in values):
            raise unauthorized()
        event = {"type": "REQUEST", "methodArn": arn, **proxy_event(inv)}
        event.pop("body", None)
        event.pop("isBase64Encoded", None)
    ttl = authorizer.get("authorizerResultTtlInSeconds", 300) if sources and use_cache else 0
    cache_key = (inv.api_id, inv.stage_name, authorizer["id"], tuple(values))
    cached = gateway.authorizer_cache.get(cache_key) if ttl else None
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    integration = {"uri": authorizer.get("authorizerUri")}
    # AWS invokes an authorizer as .../<apiId>/authorizers/<authorizerId> (or as its role).
    source = f"arn:aws:execute-api:{inv.region}:{inv.account}:{inv.api_id}/authorizers/{authorizer['id']}"
    try:
        response = await invoke_function(gateway, inv, integration, json.dumps(event).encode(), (source,),
                                         authorizer.get("authorizerCredentials"))
    except GatewayError:
        inv.note("Execution failed due to configuration error: Authorizer error")
        raise authorizer_failure() from None
    text = response["Payload"].decode("utf-8", errors="replace")
    if response.get("FunctionError"):
        if function_error_message(text) == "Unauthorized":
            raise unauthorized()
        raise authorizer_failure()
    try:
        result = json.loads(text)
    except ValueError:
        raise authorizer_failure() from None
    if not isinstance(result, dict) or "policyDocument" not in result:
        raise authorizer_failure()
    if ttl:
        gateway.authorizer_cache[cache_key] = (time.monotonic() + ttl, result)
    return result
