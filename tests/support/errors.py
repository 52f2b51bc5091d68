"""How a boto3 call was refused: its error code, message and HTTP status, as the tests compare them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_of(excinfo: Any) -> tuple[str, str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    """The error code, message and status with which `call(**params)` is refused."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)
