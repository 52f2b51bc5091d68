"""Ordered asynchronous delivery for in-process callers (S3 notifications pass an OrderingKey).

The ordering key is not part of the public Invoke API, so this drives the provider the way the
internal client does, with real storage and real execution environments.
"""

from __future__ import annotations

import asyncio
import json
import uuid

from overcast.clock import Clock
from overcast.config import Config
from overcast.scheduler import Scheduler
from overcast.server.context import RequestContext
from overcast.server.http import Request, RequestBody
from overcast.services.base import ServiceRuntime
from overcast.services.lambda_.provider import Provider
from overcast.storage import open_storage
from tests.services.lambda_.helpers import ROLE, zip_of

SOURCE = """
import json, random, time
def handler(event, context):
    time.sleep(random.random() * 0.05)
    with open(event["file"], "a") as f:
        f.write(json.dumps(event["i"]) + "\\n")
"""


class QuietInternal:
    """Accepts the log lines the provider ships; nothing else is called here."""

    async def call(self, service, operation, params=None, *, account_id=None, region=None):
        return {}


def internal_context() -> RequestContext:
    ctx = RequestContext(request=Request("POST", "/", "", {}, RequestBody.from_bytes(b"")),
                         request_id=str(uuid.uuid4()), account_id="000000000000", region="us-east-1",
                         service="lambda")
    ctx.extra["internal"] = True
    return ctx


def test_events_with_one_ordering_key_run_in_order(tmp_path):
    record_file = tmp_path / "order.txt"

    async def main():
        db, blobs = open_storage(str(tmp_path / "data"), fsync=False)
        clock = Clock()
        runtime = ServiceRuntime(config=Config(data_dir=str(tmp_path / "data")), db=db, blobs=blobs, clock=clock,
                                 scheduler=Scheduler(clock), internal=QuietInternal())
        provider = Provider(runtime)
        provider.start()
        try:
            await provider.create_function(internal_context(), {
                "FunctionName": "ordered", "Runtime": "python3.11", "Role": ROLE,
                "Handler": "lambda_function.handler", "Code": {"ZipFile": zip_of({"lambda_function.py": SOURCE})}})
            for i in range(8):
                await provider.invoke(internal_context(), {
                    "FunctionName": "ordered", "InvocationType": "Event", "OrderingKey": "bucket/key",
                    "Payload": json.dumps({"i": i, "file": str(record_file)}).encode()})
            for _ in range(400):
                if record_file.exists() and len(record_file.read_text().split()) == 8:
                    break
                await asyncio.sleep(0.025)
        finally:
            provider.stop()
            await provider.launcher.wait_closed()
            db.close()

    asyncio.run(main())
    assert [int(x) for x in record_file.read_text().split()] == list(range(8))
