"""Stage access logs: one line per request, in the stage's format ($context variables
substituted), sent to the CloudWatch Logs group named by accessLogSettings.destinationArn.

Lines are shipped in the background, after the response: a slow or missing log group never holds
up a request.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

from overcast.protocol.errors import ServiceError

if TYPE_CHECKING:
    from overcast.services.apigateway.invoke.gateway import Gateway
    from overcast.services.apigateway.invoke.pipeline import Invocation

log = logging.getLogger("overcast.apigateway")
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")
_tasks: set[asyncio.Task] = set()


def format_line(template: str, context: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        current: Any = context
        for part in match.group(1).split("."):
            current = current.get(part) if isinstance(current, dict) else None
        return "-" if current is None or current == "" else str(current)

    return _VARIABLE.sub(value, template)


def log_access(gateway: Gateway, inv: Invocation, stage: dict[str, Any], status: int, length: int) -> None:
    settings = stage.get("accessLogSettings") or {}
    arn, template = settings.get("destinationArn"), settings.get("format")
    if not arn or not template:
        return
    context = dict(inv.context())
    context.update(status=status, responseLength=length,
                   responseLatency=int((inv.clock_now() - inv.started) * 1000))
    line = format_line(template, context)
    group = arn.split(":log-group:", 1)[-1].removesuffix(":*")
    stream = f"{inv.api_id}-{inv.stage_name}"
    task = asyncio.get_running_loop().create_task(_ship(gateway, inv, group, stream, line))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _ship(gateway: Gateway, inv: Invocation, group: str, stream: str, line: str) -> None:
    timestamp = int(inv.started * 1000)
    params = {"logGroupName": group, "logStreamName": stream, "logEvents": [{"timestamp": timestamp, "message": line}]}
    try:
        if (group, stream) not in gateway.log_streams:
            try:
                await gateway.internal.call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream},
                                            account_id=inv.account, region=inv.region)
            except ServiceError as exc:
                if exc.code != "ResourceAlreadyExistsException":
                    raise
            gateway.log_streams.add((group, stream))
        await gateway.internal.call("logs", "PutLogEvents", params, account_id=inv.account, region=inv.region)
    except ServiceError as exc:
        log.debug("access log to %s not written: %s", group, exc.message)
