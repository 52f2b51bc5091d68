"""What the export and import tests share: waiting for a job, buckets, a server whose jobs wait."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.conftest import make_client
from tests.support.raw_http import move_clock
from tests.support.server import ServerProcess

# Jobs of the `held_server` wait this many clock seconds; tests release them by moving the clock.
HOLD = 3600


def wait_for_export(client, arn: str, timeout: float = 20.0) -> dict:
    return _wait(lambda: client.describe_export(ExportArn=arn)["ExportDescription"], "ExportStatus", timeout)


def wait_for_import(client, arn: str, timeout: float = 20.0) -> dict:
    return _wait(lambda: client.describe_import(ImportArn=arn)["ImportTableDescription"], "ImportStatus", timeout)


def _wait(describe, member: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        description = describe()
        if description[member] != "IN_PROGRESS" or time.monotonic() > deadline:
            return description
        time.sleep(0.05)


def new_bucket(s3) -> str:
    name = f"transfers-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def table_with_pitr(client, name: str, **extra) -> str:
    """An on-demand table keyed by pk (S), with point-in-time recovery on; its ARN."""
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], **extra)
    client.update_continuous_backups(TableName=name,
                                     PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return client.describe_table(TableName=name)["Table"]["TableArn"]


def import_request(bucket: str, prefix: str, table: str, **overrides) -> dict:
    request = {"S3BucketSource": {"S3Bucket": bucket, "S3KeyPrefix": prefix}, "InputFormat": "DYNAMODB_JSON",
               "TableCreationParameters": {
                   "TableName": table, "BillingMode": "PAY_PER_REQUEST",
                   "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}}
    request.update(overrides)
    return request


class HeldServer:
    """A fresh server whose exports and imports stay IN_PROGRESS until release()."""

    def __init__(self, process: ServerProcess):
        self.process = process
        self.ddb = make_client("dynamodb", process.endpoint_url)
        self.s3 = make_client("s3", process.endpoint_url)

    def release(self) -> None:
        move_clock(self.process.endpoint_url, {"advance": HOLD + 1})

    def restart_after_kill9(self) -> None:
        self.process.kill9()
        self.process.start()
        self.ddb = make_client("dynamodb", self.process.endpoint_url)
        self.s3 = make_client("s3", self.process.endpoint_url)


@pytest.fixture
def held_server(tmp_path):
    process = ServerProcess(tmp_path / "data", env={"OVERCAST_DYNAMODB_TRANSFER_SECONDS": str(HOLD)})
    process.start()
    yield HeldServer(process)
    process.stop()
