"""API Gateway's fixed control-plane quotas, per account and Region, as AWS documents them
("API Gateway quotas for creating, deploying and managing an API"): past them a call is
refused with 429 TooManyRequestsException and changes nothing. Applied only with
--apigateway-control-plane-quotas: locally they would only slow deployments down (SDKs and IaC
tools retry them), but a user can check that their tooling copes.
"""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.apigateway.errors import TooManyRequests
from overcast.services.apigateway.invoke.limits import TokenBucket

# operation -> (requests per second, burst). "1 request every 3 seconds" is (1/3, 1).
_FIXED: dict[str, tuple[float, int]] = {
    "CreateApiKey": (5, 5),
    "CreateDeployment": (1 / 5, 1),
    "CreateDocumentationVersion": (1 / 20, 1),
    "CreateDomainName": (1 / 30, 1),
    "CreateResource": (5, 5),
    "DeleteApiKey": (5, 5),
    "DeleteDomainName": (1 / 30, 1),
    "DeleteResource": (5, 5),
    "DeleteRestApi": (1 / 30, 1),
    "GetResources": (5 / 2, 5),
    "ImportDocumentationParts": (1 / 30, 1),
    "PutRestApi": (1, 1),
    "UpdateAccount": (1 / 20, 1),
    "UpdateDomainName": (1 / 30, 1),
    "UpdateUsagePlan": (1 / 20, 1),
}
# CreateRestApi and ImportRestApi: once every 3 s for Regional or private APIs, every 30 s for
# edge-optimized ones (the default endpoint type).
_BY_ENDPOINT = {"EDGE": (1 / 30, 1), "REGIONAL": (1 / 3, 1), "PRIVATE": (1 / 3, 1)}
# Every control-plane operation together.
_TOTAL = (10.0, 40)


def _endpoint_type(operation: str, params: dict[str, Any]) -> str:
    if operation == "CreateRestApi":
        types = (params.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
    else:  # ImportRestApi: ?endpointConfigurationTypes=REGIONAL
        types = [(params.get("parameters") or {}).get("endpointConfigurationTypes") or "EDGE"]
    return str(types[0]).upper()


class ControlPlaneQuotas:
    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}

    def _bucket(self, account: str, region: str, name: str, limit: tuple[float, int]) -> TokenBucket:
        key = (account, region, name)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(*limit)
        return bucket

    def admit(self, ctx: RequestContext, params: dict[str, Any]) -> None:
        operation = ctx.operation_name or ""
        if operation in ("CreateRestApi", "ImportRestApi"):
            kind = _endpoint_type(operation, params)
            limit: tuple[float, int] | None = _BY_ENDPOINT.get(kind, _BY_ENDPOINT["EDGE"])
            name = f"{operation}:{kind}"
        else:
            limit, name = _FIXED.get(operation), operation
        # The operation's own quota first, so that a refused call does not use up the total.
        if limit is not None and not self._bucket(ctx.account_id, ctx.region, name, limit).take():
            raise TooManyRequests("Too Many Requests")
        if not self._bucket(ctx.account_id, ctx.region, "*", _TOTAL).take():
            raise TooManyRequests("Too Many Requests")
