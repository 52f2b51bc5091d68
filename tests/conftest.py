"""Shared fixtures: one real server process per test session (per xdist worker), and clients.

Tests that restart or kill the server use `fresh_server`, a server of their own, so that the
shared one is never disturbed.
"""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.config import Config

from tests.support.server import ServerProcess

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("overcast") / "data")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def fresh_server(tmp_path):
    proc = ServerProcess(tmp_path / "data")
    proc.start()
    yield proc
    proc.stop()


def make_client(service: str, endpoint_url: str, **config):
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, **config),
    )


@pytest.fixture(scope="session")
def client_factory(server):
    def factory(service: str, **config):
        return make_client(service, server.endpoint_url, **config)

    return factory


@pytest.fixture(scope="session")
def s3(server):
    return make_client("s3", server.endpoint_url)


@pytest.fixture
def aws_cli_env(server):
    """Environment for running the AWS CLI against the shared server."""
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=server.endpoint_url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
    )
    return env
