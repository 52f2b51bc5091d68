"""A request that names another account's function by ARN: Lambda lets it through only where the
function's resource-based policy grants the caller's account the action (AddPermission with
--principal <account id>), and otherwise answers AccessDeniedException without saying whether the
function exists (the wording users quote from AWS: "User: ... is not authorized to perform:
lambda:GetFunction on resource: ... because no resource-based policy allows the
lambda:GetFunction action").

Overcast has no IAM users or roles: the caller is its account's root. Statements with conditions
grant nothing here (none of the conditions AddPermission writes, source ARNs and accounts,
organizations, function URL auth types, can hold for a direct call by another account).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from overcast.services.lambda_.errors import AccessDenied

if TYPE_CHECKING:
    from overcast.server.context import RequestContext
    from overcast.services.lambda_.models import FunctionRecord

# The action an operation needs on the function, where it is not the operation's own name.
_ACTIONS = {"Invoke": "lambda:InvokeFunction", "InvokeAsync": "lambda:InvokeFunction",
            "InvokeWithResponseStream": "lambda:InvokeFunction"}


def _action_of(ctx: RequestContext) -> str:
    name = ctx.operation_name or "InvokeFunction"
    return _ACTIONS.get(name, f"lambda:{name}")


def _names(principal: Any) -> list[Any]:
    if principal == "*":
        return ["*"]
    named = principal.get("AWS") if isinstance(principal, dict) else None
    return named if isinstance(named, list) else [named]


def _grants(statement: dict[str, Any], action: str, account: str) -> bool:
    if statement.get("Effect") != "Allow" or statement.get("Condition"):
        return False
    actions = statement.get("Action")
    if not any(re.fullmatch(re.escape(str(a)).replace(r"\*", ".*"), action, re.I)
               for a in (actions if isinstance(actions, list) else [actions])):
        return False
    return any(name in ("*", account, f"arn:aws:iam::{account}:root") for name in _names(statement.get("Principal")))


def check_cross_account(ctx: RequestContext, owner: str, name: str, record: FunctionRecord | None,
                        qualifier: str | None) -> None:
    """Raise AccessDenied unless the function's policy (its own, or its qualifier's) grants the
    caller's account what this request does."""
    action = _action_of(ctx)
    if record is not None:
        statements = [*record.policy.get("", []), *(record.policy.get(qualifier, []) if qualifier else [])]
        if any(_grants(statement, action, ctx.account_id) for statement in statements):
            return
    arn = f"arn:aws:lambda:{ctx.region}:{owner}:function:{name}"
    raise AccessDenied(f"User: arn:aws:iam::{ctx.account_id}:root is not authorized to perform: {action} on "
                       f"resource: {arn} because no resource-based policy allows the {action} action")
