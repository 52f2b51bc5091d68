"""The DynamoDB engine without the server: a real provider on a real SQLite database."""

from __future__ import annotations

import asyncio
import inspect
from types import SimpleNamespace

import pytest

from overcast.clock import Clock
from overcast.config import Config
from overcast.scheduler import Scheduler
from overcast.services.base import ServiceRuntime
from overcast.services.dynamodb.provider import Provider
from overcast.storage.sqlite import SqliteDatabase


class Engine:
    def __init__(self, provider: Provider):
        self.provider = provider
        self.ctx = SimpleNamespace(account_id="000000000000", region="us-east-1")

    def __call__(self, operation: str, **params):
        result = getattr(self.provider, operation)(self.ctx, params)
        if inspect.isawaitable(result):
            result = asyncio.run(_await(result))
        return result


async def _await(awaitable):
    return await awaitable


def make_engine(directory) -> tuple[Engine, object]:
    db = SqliteDatabase(str(directory / "overcast.db"), fsync=False)
    clock = Clock()
    scheduler = Scheduler(clock)
    runtime = ServiceRuntime(config=Config(data_dir=str(directory)), db=db, blobs=None, clock=clock,
                             scheduler=scheduler, internal=None)  # type: ignore[arg-type]
    provider = Provider(runtime)
    provider.start()

    def close() -> None:
        scheduler.stop()
        db.close()

    return Engine(provider), close


@pytest.fixture
def engine(tmp_path):
    instance, close = make_engine(tmp_path)
    yield instance
    close()
