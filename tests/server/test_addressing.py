"""Addressing: path-style and virtual-hosted-style S3 (`bucket.localhost:PORT`,
`bucket.s3.localhost:PORT`), and the account and region a request acts in (a 12-digit access
key id is the account; the credential scope's region is the region).

Many systems resolve every *.localhost name to loopback (RFC 6761; systemd-resolved, macOS);
where this one does not, the tests resolve them so in this process only, so boto3 still
connects over real HTTP to 127.0.0.1 with the virtual host in its Host header.
"""

from __future__ import annotations

import socket
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.raw_http import request
from tests.support.server import ServerProcess

ACCOUNT = "111122223333"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
def localhost_subdomains_resolve(monkeypatch):
    try:
        socket.getaddrinfo("bucket-probe.localhost", 80)
        return
    except socket.gaierror:
        pass
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("addressing-strict") / "data",
                         extra_args=["--verify-signatures", "--credentials", f"test:test,{ACCOUNT}:secret"])
    proc.start()
    yield proc
    proc.stop()


def s3_client(server, endpoint_host: str = "localhost", style: str = "virtual", key: str = "test",
              secret: str = "test"):
    return boto3.client("s3", endpoint_url=f"http://{endpoint_host}:{server.port}", region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": style}))


def _round_trip(s3, bucket: str) -> list[str]:
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/a b+c.txt", Body=b"hello", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="dir/a b+c.txt")
    assert got["Body"].read() == b"hello"
    assert got["ContentType"] == "text/plain"
    s3.head_bucket(Bucket=bucket)
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]


@pytest.mark.parametrize("endpoint_host", ["localhost", "s3.localhost"])
def test_virtual_hosted_style_with_boto3(server, endpoint_host):
    sent_hosts: list[str] = []
    s3 = s3_client(server, endpoint_host)
    s3.meta.events.register("before-send.s3", lambda request, **_: sent_hosts.append(request.url))
    bucket = unique("vhost")
    assert _round_trip(s3, bucket) == ["dir/a b+c.txt"]
    assert len(sent_hosts) >= 5
    assert all(url.startswith(f"http://{bucket}.{endpoint_host}:{server.port}/") for url in sent_hosts)
    # The same bucket, seen path-style: one bucket, however it is addressed.
    path_style = s3_client(server, "127.0.0.1", style="path")
    assert path_style.get_object(Bucket=bucket, Key="dir/a b+c.txt")["Body"].read() == b"hello"


def test_virtual_hosted_style_passes_signature_verification(strict):
    s3 = s3_client(strict, "s3.localhost")
    assert _round_trip(s3, unique("strict-vhost")) == ["dir/a b+c.txt"]
    with pytest.raises(ClientError) as err:
        s3_client(strict, "localhost", secret="wrong").list_objects_v2(Bucket="anything")
    assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize("host", ["{bucket}.localhost:{port}", "{bucket}.s3.localhost:{port}",
                                  "{bucket}.s3.us-east-1.localhost:{port}"])
def test_virtual_host_header_over_raw_http(server, s3, host):
    bucket = unique("rawhost")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"by host")
    resp = request(server.endpoint_url, "GET", "/k", host=host.format(bucket=bucket, port=server.port), service="s3")
    assert resp.status == 200
    assert resp.body == b"by host"
    listing = request(server.endpoint_url, "GET", "/?list-type=2", host=host.format(bucket=bucket, port=server.port),
                      service="s3")
    assert listing.status == 200
    assert b"<Name>" + bucket.encode() + b"</Name>" in listing.body


def test_virtual_host_for_missing_bucket_is_no_such_bucket(server):
    bucket = unique("absent")
    resp = request(server.endpoint_url, "GET", "/k", host=f"{bucket}.s3.localhost:{server.port}", service="s3")
    assert resp.status == 404
    error = resp.xml_error()
    assert error["Code"] == "NoSuchBucket"
    assert error["BucketName"] == bucket


@pytest.mark.parametrize("host", ["localhost:{port}", "s3.localhost:{port}", "127.0.0.1:{port}"])
def test_plain_hosts_are_path_style(server, s3, host):
    bucket = unique("pathhost")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"by path")
    resp = request(server.endpoint_url, "GET", f"/{bucket}/k", host=host.format(port=server.port), service="s3")
    assert resp.status == 200
    assert resp.body == b"by path"


# ------------------------------------------------------------------ account and region


def _table_kwargs(name: str) -> dict:
    return dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])


def _ddb(server, key: str = "test", region: str = "us-east-1"):
    return boto3.client("dynamodb", endpoint_url=server.endpoint_url, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key="anything",
                        config=Config(retries={"max_attempts": 1}))


def test_twelve_digit_access_key_is_the_account(server):
    name = unique("acct")
    arn = _ddb(server, key=ACCOUNT).create_table(**_table_kwargs(name))["TableDescription"]["TableArn"]
    assert arn == f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}"
    # Another account does not see it; its own tables live under the default account.
    assert name not in _ddb(server).list_tables()["TableNames"]
    other = unique("default")
    arn = _ddb(server).create_table(**_table_kwargs(other))["TableDescription"]["TableArn"]
    assert arn == f"arn:aws:dynamodb:us-east-1:000000000000:table/{other}"


@pytest.mark.parametrize("key", ["AKIAIOSFODNN7EXAMPLE", "11112222333", "1111222233334", "１１１１２２２２３３３３"])
def test_other_access_keys_use_the_default_account(server, key):
    name = unique("default")
    arn = _ddb(server, key=key).create_table(**_table_kwargs(name))["TableDescription"]["TableArn"]
    assert arn == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"


def test_region_comes_from_the_credential_scope(server):
    name = unique("region")
    arn = _ddb(server, region="eu-west-1").create_table(**_table_kwargs(name))["TableDescription"]["TableArn"]
    assert arn.startswith("arn:aws:dynamodb:eu-west-1:")
    assert name not in _ddb(server, region="us-east-1").list_tables()["TableNames"]
    assert name in _ddb(server, region="eu-west-1").list_tables()["TableNames"]


def test_account_flag_sets_the_default_account(tmp_path):
    proc = ServerProcess(tmp_path / "data", extra_args=["--account", "444455556666", "--region", "ap-south-1"])
    proc.start()
    try:
        client = boto3.client("dynamodb", endpoint_url=proc.endpoint_url, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test",
                              config=Config(retries={"max_attempts": 1}))
        name = unique("flag")
        arn = client.create_table(**_table_kwargs(name))["TableDescription"]["TableArn"]
        assert arn == f"arn:aws:dynamodb:us-east-1:444455556666:table/{name}"
    finally:
        proc.stop()


def test_s3_buckets_are_listed_per_account_in_one_namespace(server):
    mine = s3_client(server, "127.0.0.1", style="path", key=ACCOUNT)
    theirs = s3_client(server, "127.0.0.1", style="path")
    bucket = unique("owned")
    mine.create_bucket(Bucket=bucket)
    assert bucket in [b["Name"] for b in mine.list_buckets()["Buckets"]]
    assert bucket not in [b["Name"] for b in theirs.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as err:
        theirs.create_bucket(Bucket=bucket)
    assert err.value.response["Error"]["Code"] == "BucketAlreadyExists"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
