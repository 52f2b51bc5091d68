from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ddb(client_factory):
    return client_factory("dynamodb")
