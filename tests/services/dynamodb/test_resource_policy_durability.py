"""A resource-based policy is stored with its table: it survives a restart and kill -9, and a
table stored before policies existed still loads (with none)."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import make_client
from tests.services.dynamodb.conftest import on_demand_table, refused
from tests.services.dynamodb.policy_documents import NOT_FOUND, policy, table_arn


def test_policies_survive_a_restart_and_kill9(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    name = on_demand_table(client, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = table_arn(client, name)
    stream = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    revision = client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    fresh_server.stop()
    fresh_server.start()
    assert client.get_resource_policy(ResourceArn=arn) | {"ResponseMetadata": None} == {
        "Policy": json.dumps(json.loads(policy(arn)), separators=(",", ":")), "RevisionId": revision, "ResponseMetadata": None}
    # Acknowledged, then killed at once: the write was durable before the answer.
    stream_revision = client.put_resource_policy(ResourceArn=stream, Policy=policy(stream, "dynamodb:GetRecords"))["RevisionId"]
    deletion = client.delete_resource_policy(ResourceArn=arn)["RevisionId"]
    fresh_server.kill9()
    fresh_server.start()
    assert refused(client.get_resource_policy, ResourceArn=arn) == ("PolicyNotFoundException", NOT_FOUND + arn, 400)
    assert deletion == revision
    assert client.delete_resource_policy(ResourceArn=arn)["RevisionId"] > revision  # the deletion's own, kept
    assert client.get_resource_policy(ResourceArn=stream)["RevisionId"] == stream_revision


def test_a_table_stored_before_policies_loads_without_one(fresh_server):
    client = make_client("dynamodb", fresh_server.endpoint_url)
    name = on_demand_table(client)
    arn = table_arn(client, name)
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "kept", "Value": "yes"}])
    fresh_server.stop()
    database = sqlite3.connect(fresh_server.data_dir / "overcast.db", isolation_level=None)
    try:
        (meta,) = database.execute("SELECT meta FROM dynamodb_tables WHERE name = ?", (name,)).fetchone()
        older = json.loads(meta)
        del older["policies"]  # as Overcast wrote a table's metadata before policies
        database.execute("UPDATE dynamodb_tables SET meta = ? WHERE name = ?", (json.dumps(older), name))
    finally:
        database.close()
    fresh_server.start()
    assert refused(client.get_resource_policy, ResourceArn=arn) == ("PolicyNotFoundException", NOT_FOUND + arn, 400)
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "kept", "Value": "yes"}]
    revision = client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    assert client.get_resource_policy(ResourceArn=arn)["RevisionId"] == revision
