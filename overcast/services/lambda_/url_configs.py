"""CreateFunctionUrlConfig, GetFunctionUrlConfig, UpdateFunctionUrlConfig,
DeleteFunctionUrlConfig, ListFunctionUrlConfigs: a function's URLs, one for the unqualified
function and one per alias. The data plane that serves them is url_endpoint.py.

Wordings are Lambda's as LocalStack's AWS-validated TestLambdaUrl tests recorded them
(test_url_config_exceptions, test_url_config_lifecycle, test_url_config_list_paging): a function
that is missing is "Function does not exist" to Create, Update and List but "The resource you
requested does not exist." to Get and Delete; a qualifier is judged before the function is
looked up, $LATEST against the model's pattern and a version number against another.
"""

from __future__ import annotations

import copy
import re
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LATEST, LambdaBase
from overcast.services.lambda_.errors import ResourceConflict, ResourceNotFound, validation_error
from overcast.services.lambda_.models import FunctionRecord, FunctionUrl
from overcast.services.lambda_.validation import check_qualifier_matches, parse_function_ref
from overcast.services.lambda_.versions import paginate

# The model's FunctionUrlQualifier pattern, which $LATEST and other malformed qualifiers are
# measured against; a version number is measured against the pattern Lambda's own check names.
QUALIFIER_PATTERN = r"((?!^\d+$)^[0-9a-zA-Z-_]+$)"
VERSION_QUALIFIER_PATTERN = r"(^\$LATEST$)|((?!^[0-9]+$)([a-zA-Z0-9-_]+))"
_ALIAS_LIKE = re.compile(r"[0-9a-zA-Z_-]+")

FUNCTION_MISSING = "Function does not exist"
NOT_FOUND = "The resource you requested does not exist."
URL_PAGE_MAX = 50  # "ListFunctionUrlConfigs returns a maximum of 50 items in each response"


def url_time(now: float) -> str:
    """Function URL timestamps as Lambda writes them: 2023-10-26T19:58:34.584627Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1_000_000) % 1_000_000:06d}Z"


def check_url_qualifier(qualifier: str | None) -> None:
    if qualifier is None:
        return
    if len(qualifier) > 128:
        raise validation_error(qualifier, "qualifier", "Member must have length less than or equal to 128")
    if qualifier.isdigit():
        raise validation_error(qualifier, "qualifier",
                               f"Member must satisfy regular expression pattern: {VERSION_QUALIFIER_PATTERN}")
    if not _ALIAS_LIKE.fullmatch(qualifier):
        raise validation_error(qualifier, "qualifier", f"Member must satisfy regular expression pattern: "
                                                       f"{QUALIFIER_PATTERN}")


def url_host_suffix(endpoint_url: str, region: str) -> tuple[str, str]:
    """('lambda-url.<region>.<host>', ':<port>') from the server's own address."""
    parts = urlsplit(endpoint_url)
    host = parts.hostname or "localhost"
    return f"lambda-url.{region}.{host}", f":{parts.port}" if parts.port else ""


class UrlConfigOps(LambdaBase):
    def _url_target(self, ctx: RequestContext, params: dict[str, Any],
                    missing: str) -> tuple[FunctionRecord, str]:
        """The function and qualifier ("" for none) a URL request names, checked in Lambda's order."""
        ref = parse_function_ref(params["FunctionName"])
        qualifier = check_qualifier_matches(ref, params.get("Qualifier"))
        if qualifier == LATEST:
            raise validation_error(qualifier, "qualifier", f"Member must satisfy regular expression pattern: "
                                                           f"{QUALIFIER_PATTERN}")
        check_url_qualifier(qualifier)
        try:
            record, _ = self.find(ctx, params["FunctionName"], params.get("Qualifier"))
        except ResourceNotFound:
            raise ResourceNotFound(missing) from None
        if qualifier and qualifier not in record.aliases:
            raise ResourceNotFound(missing)
        return record, qualifier or ""

    def _url_of(self, record: FunctionRecord, qualifier: str) -> FunctionUrl:
        url = self.store.urls_by_target.get((record.account, record.region, record.name, qualifier))
        if url is None:
            raise ResourceNotFound(NOT_FOUND)
        return url

    async def create_function_url_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self._url_target(ctx, params, FUNCTION_MISSING)
        function_arn = f"{record.arn}:{qualifier}" if qualifier else record.arn
        if (record.account, record.region, record.name, qualifier) in self.store.urls_by_target:
            raise ResourceConflict(f"Failed to create function url config for [functionArn = {function_arn}]. "
                                   "Error message:  FunctionUrlConfig exists for this Lambda function")
        url_id = secrets.token_hex(16)  # 32 lower-case characters, as AWS's ids are
        suffix, port = url_host_suffix(self.config.endpoint_url, record.region)
        now = url_time(time.time())
        doc: dict[str, Any] = {"FunctionUrl": f"http://{url_id}.{suffix}{port}/", "FunctionArn": function_arn,
                               "AuthType": params["AuthType"], "CreationTime": now, "LastModifiedTime": now,
                               "InvokeMode": params.get("InvokeMode") or "BUFFERED"}
        if params.get("Cors") is not None:
            doc["Cors"] = copy.deepcopy(params["Cors"])
        await self.store.add_url(FunctionUrl(url_id, record.account, record.region, record.name, qualifier, doc))
        out = copy.deepcopy(doc)
        out.pop("LastModifiedTime")  # CreateFunctionUrlConfig's output has no such member
        if not params.get("InvokeMode"):
            # Nor an InvokeMode that was not asked for (LocalStack's AWS-validated
            # test_lambda_url_invocation, recorded 2025-11-24); Get shows the default.
            out.pop("InvokeMode")
        return out

    async def get_function_url_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self._url_target(ctx, params, NOT_FOUND)
        return copy.deepcopy(self._url_of(record, qualifier).doc)

    async def update_function_url_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self._url_target(ctx, params, FUNCTION_MISSING)
        url = self._url_of(record, qualifier)
        doc = copy.deepcopy(url.doc)
        if params.get("AuthType") is not None:
            doc["AuthType"] = params["AuthType"]
        if params.get("InvokeMode") is not None:
            doc["InvokeMode"] = params["InvokeMode"]
        if params.get("Cors") is not None:
            doc["Cors"] = copy.deepcopy(params["Cors"])
        doc["LastModifiedTime"] = url_time(time.time())
        await self.store.put_url(FunctionUrl(url.url_id, url.account, url.region, url.name, url.qualifier, doc))
        return copy.deepcopy(doc)

    async def delete_function_url_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, qualifier = self._url_target(ctx, params, NOT_FOUND)
        await self.store.delete_url(self._url_of(record, qualifier))
        return {}

    async def list_function_url_configs(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        try:
            record, _ = self.find(ctx, params["FunctionName"])
        except ResourceNotFound:
            raise ResourceNotFound(FUNCTION_MISSING) from None
        urls = sorted(self.store.urls_of(record.account, record.region, record.name), key=lambda u: u.qualifier)
        items = [copy.deepcopy(url.doc) for url in urls]
        return paginate(items, params, "FunctionUrlConfigs", page_cap=URL_PAGE_MAX, max_items_limit=URL_PAGE_MAX)
