"""Mappings and their stream positions survive a restart and a kill -9: no acknowledged record is
delivered again after a clean stop, none is lost after a crash, and delivery goes on."""

from __future__ import annotations

from tests.conftest import make_client
from tests.services.lambda_.event_sources.support import (
    keys_delivered,
    recording_function,
    stream_table,
    wait_deliveries,
    wait_state,
)


def _clients(server):
    return make_client("lambda", server.endpoint_url), make_client("dynamodb", server.endpoint_url)


def _put(ddb, table: str, key: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": key}})


def test_delivery_resumes_after_restart(fresh_server):
    lam, ddb = _clients(fresh_server)
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    mapping = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                              StartingPosition="TRIM_HORIZON", BatchSize=2)
    for key in ("a", "b", "c"):
        _put(ddb, table, key)
    wait_deliveries(ddb, sink, lambda s: len(s) >= 3)

    fresh_server.restart()
    lam, ddb = _clients(fresh_server)
    got = lam.get_event_source_mapping(UUID=mapping["UUID"])
    assert got["State"] == "Enabled" and got["BatchSize"] == 2
    for key in ("d", "e"):
        _put(ddb, table, key)
    seen = wait_deliveries(ddb, sink, lambda s: {"d", "e"} <= set(keys_delivered(s)))
    keys = keys_delivered(seen)
    assert list(dict.fromkeys(keys)) == ["a", "b", "c", "d", "e"]
    # Only the batch in hand at the stop (at most [b, c]) may come again: every batch before it was
    # acknowledged before it was read, and what came after the restart once.
    assert keys.count("a") == 1 and keys.count("d") == 1 and keys.count("e") == 1


def test_nothing_acknowledged_is_lost_after_kill_9(fresh_server):
    lam, ddb = _clients(fresh_server)
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST")["UUID"]
    wait_state(lam, mapping_id, "Enabled")
    for key in ("p", "q"):
        _put(ddb, table, key)
    wait_deliveries(ddb, sink, lambda s: len(s) >= 2)
    # Disabled, then records written: the crash comes before they are delivered.
    lam.update_event_source_mapping(UUID=mapping_id, Enabled=False)
    wait_state(lam, mapping_id, "Disabled")
    _put(ddb, table, "r")

    fresh_server.kill9()
    fresh_server.start()
    lam, ddb = _clients(fresh_server)
    assert lam.get_event_source_mapping(UUID=mapping_id)["State"] == "Disabled"
    lam.update_event_source_mapping(UUID=mapping_id, Enabled=True)
    _put(ddb, table, "s")
    seen = wait_deliveries(ddb, sink, lambda s: {"r", "s"} <= set(keys_delivered(s)))
    keys = keys_delivered(seen)
    # At least once, in order: what was acknowledged before the crash is not delivered again
    # (its checkpoint was durable), and what was not is delivered now.
    assert keys == ["p", "q", "r", "s"]


def test_mapping_created_just_before_a_crash_survives(fresh_server):
    lam, ddb = _clients(fresh_server)
    table, stream = stream_table(ddb)
    function, sink = recording_function(lam, ddb)
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream,
                                                 StartingPosition="LATEST")["UUID"]
    fresh_server.kill9()
    fresh_server.start()
    lam, ddb = _clients(fresh_server)
    wait_state(lam, mapping_id, "Enabled")
    _put(ddb, table, "after-crash")
    seen = wait_deliveries(ddb, sink, lambda s: len(s) >= 1)
    assert keys_delivered(seen) == ["after-crash"]
