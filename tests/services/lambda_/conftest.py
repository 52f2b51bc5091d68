from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def lam(client_factory):
    return client_factory("lambda")


@pytest.fixture(scope="session")
def logs(client_factory):
    return client_factory("logs")


@pytest.fixture(scope="session")
def lam_unchecked(client_factory):
    """A client that sends what it is given, so the server's own validation answers."""
    return client_factory("lambda", parameter_validation=False)
