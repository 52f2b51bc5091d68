"""A tumbling window's state and the shard's checkpoint move in one transaction: a crash between
two writes left a state that already counted a batch the checkpoint would hand over again (the
function's aggregate counted it twice after the restart)."""

from __future__ import annotations

import asyncio

from overcast.services.lambda_.event_sources.store import MappingStore
from overcast.services.lambda_.event_sources.windows import Window, WindowStore
from overcast.storage.sqlite import SqliteDatabase


def test_the_checkpoint_and_the_windows_state_are_one_write(tmp_path):
    db = SqliteDatabase(str(tmp_path / "overcast.db"), fsync=False)
    store = MappingStore(db)
    store.load()
    writes: list[int] = []
    write = db.write

    async def counted(fn, **kwargs):
        writes.append(1)
        return await write(fn, **kwargs)

    db.write = counted  # type: ignore[method-assign]  # counts the transactions, changes nothing
    try:
        window = Window(start=600.0, length=60.0, state={"total": "3"})
        asyncio.run(store.save_checkpoint("m-1", "shard-0", "000000000000000000007", window))
        assert len(writes) == 1
        assert store.checkpoints("m-1") == {"shard-0": "000000000000000000007"}
        assert WindowStore(db).load("m-1") == {"shard-0": window}
        asyncio.run(store.save_checkpoint("m-1", "shard-0", "000000000000000000009"))  # no window: kept as it was
        assert WindowStore(db).load("m-1") == {"shard-0": window}
    finally:
        db.close()
