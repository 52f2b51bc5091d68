"""A function named by another account's ARN: reachable only where its resource-based policy
grants the caller's account the action, and otherwise AccessDeniedException that does not say
whether the function exists."""

from __future__ import annotations

import boto3
from botocore.config import Config

from tests.services.lambda_.helpers import create_python, invoke_json, refused, unique

OWNER, STRANGER = "000000000000", "222222222222"


def _client_of(server, account: str):
    return boto3.client("lambda", endpoint_url=server.endpoint_url, region_name="us-east-1",
                        aws_access_key_id=account, aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def _denied(action: str, name: str) -> tuple[str, str, int]:
    return ("AccessDeniedException",
            f"User: arn:aws:iam::{STRANGER}:root is not authorized to perform: {action} on resource: "
            f"arn:aws:lambda:us-east-1:{OWNER}:function:{name} because no resource-based policy allows the "
            f"{action} action", 403)


def test_another_accounts_function_is_reached_only_through_its_policy(lam, server):
    name = create_python(lam, "def handler(event, context):\n    return {'got': event}\n")
    arn = f"arn:aws:lambda:us-east-1:{OWNER}:function:{name}"
    stranger = _client_of(server, STRANGER)
    assert refused(stranger.get_function, FunctionName=arn) == _denied("lambda:GetFunction", name)
    assert refused(stranger.invoke, FunctionName=arn) == _denied("lambda:InvokeFunction", name)
    assert refused(stranger.delete_function, FunctionName=arn) == _denied("lambda:DeleteFunction", name)
    # A missing function of that account answers the same: the refusal does not reveal it.
    missing = unique()
    assert refused(stranger.get_function, FunctionName=f"arn:aws:lambda:us-east-1:{OWNER}:function:{missing}") == (
        _denied("lambda:GetFunction", missing))

    lam.add_permission(FunctionName=name, StatementId="stranger-invokes", Action="lambda:InvokeFunction",
                       Principal=STRANGER)
    _, body = invoke_json(stranger, arn, {"from": "elsewhere"})
    assert body == {"got": {"from": "elsewhere"}}
    # The grant is for invoking only.
    assert refused(stranger.get_function, FunctionName=arn) == _denied("lambda:GetFunction", name)
    assert lam.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name


def test_a_statement_with_a_condition_grants_another_account_nothing(lam, server):
    name = create_python(lam, "def handler(event, context):\n    return 1\n")
    lam.add_permission(FunctionName=name, StatementId="only-from-s3", Action="lambda:InvokeFunction",
                       Principal=STRANGER, SourceArn="arn:aws:s3:::some-bucket")
    stranger = _client_of(server, STRANGER)
    arn = f"arn:aws:lambda:us-east-1:{OWNER}:function:{name}"
    assert refused(stranger.invoke, FunctionName=arn) == _denied("lambda:InvokeFunction", name)
