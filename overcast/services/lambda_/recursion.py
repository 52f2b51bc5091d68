"""GetFunctionRecursionConfig and PutFunctionRecursionConfig.

Lambda's recursive loop detection is Terminate unless set to Allow (the API reference: "By
default, Lambda sets your function's configuration to Terminate"). Overcast stores and answers
the setting; it does not detect loops, so neither value changes how a function runs here.
"""

from __future__ import annotations

from typing import Any

from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LambdaBase


class RecursionOps(LambdaBase):
    async def get_function_recursion_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        return {"RecursiveLoop": record.recursive_loop}

    async def put_function_recursion_config(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        record, _ = self.find(ctx, params["FunctionName"])
        record.recursive_loop = params["RecursiveLoop"]
        await self.store.put(record)
        return {"RecursiveLoop": record.recursive_loop}
