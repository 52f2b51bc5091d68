"""Resource-based policy documents: the checks DynamoDB makes on one before attaching it, and the
canonical form in which it stores and returns it.

The facts, as recorded against DynamoDB (us-west-2, 2026-10-09) in the ack-api-quirks lab's
findings DDB-TABLE-207/208/211/351/356, and the AWS CLI's and ACK's reports of refused actions:
- the limit is 20480 bytes of the document as sent, whitespace included (ValidationException,
  not LimitExceededException);
- GetResourcePolicy answers the document minified, its members in a fixed order, a one-element
  Action or Resource list as a string, an account id Principal as the account's root ARN, 'allow'
  as 'Allow', a lone Statement object as a list of one, and "2008-10-17" for a missing Version;
- a re-put equivalent in that form (whitespace, member order, list or string) changes nothing,
  except that a document without Version is not equivalent to one with it.
Checks the records show but whose words they cut short or tie to a position (a bare account id
Principal: "Syntax error at position (1,94)"; a table action on a stream: "The relative-id ...")
are not made.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from overcast.services.dynamodb.errors import ValidationException, invalid

MAX_POLICY_BYTES = 20480
DEFAULT_VERSION = "2008-10-17"  # what a document sent without Version reads back with

# Stream actions have stream resources: DynamoDB refuses them in a table's policy (aws-cdk
# #32230), and ListStreams, whose resource is "*", in a stream's (ACK dynamodb-controller #176).
_STREAM_ACTIONS = {"dynamodb:describestream", "dynamodb:getrecords", "dynamodb:getsharditerator",
                   "dynamodb:liststreams"}
_NOT_ON_A_STREAM = {"dynamodb:liststreams"}

_DOCUMENT_ORDER = ("Version", "Id", "Statement")
_STATEMENT_ORDER = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                    "NotResource", "Condition")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class PolicyDocument:
    identity: str  # the canonical form as sent (no default Version): what equivalence compares
    text: str  # the canonical form GetResourcePolicy answers


def checked_policy(text: Any, on_stream: bool) -> PolicyDocument:
    """The document `text` in canonical form, or DynamoDB's refusal of it; `on_stream`: whether it
    is to be attached to a stream rather than a table."""
    if not isinstance(text, str):
        raise _invalid_document("This policy contains invalid Json")
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise invalid(f"Maximum policy size of {MAX_POLICY_BYTES} bytes exceeded")
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise _invalid_document("This policy contains invalid Json")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not statements:
        raise _invalid_document("Could not parse the policy: Statement is empty!")
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise _invalid_document("This policy contains invalid Json")
    _check_statements(statements, on_stream)
    canonical = _ordered(document, _DOCUMENT_ORDER)
    canonical["Statement"] = [_canonical_statement(statement) for statement in statements]
    shown = canonical if "Version" in canonical else {"Version": DEFAULT_VERSION, **canonical}
    return PolicyDocument(identity=_minified(canonical), text=_minified(shown))


def _check_statements(statements: list[dict], on_stream: bool) -> None:
    for statement in statements:
        if "Resource" not in statement and "NotResource" not in statement:
            raise _invalid_document("Missing required field Resource")
    sids = [statement["Sid"] for statement in statements if "Sid" in statement]
    if len(sids) != len(set(map(str, sids))):
        raise _invalid_document("The Statement Ids in the policy are not unique")
    refused_actions = _NOT_ON_A_STREAM if on_stream else _STREAM_ACTIONS
    refused: list[str] = []
    for statement in statements:
        for action in _as_list(statement.get("Action")):
            if isinstance(action, str) and action.lower() in refused_actions and action not in refused:
                refused.append(action)
    if refused:
        names = ", ".join(f'"{action}"' for action in refused)
        raise _invalid_document(f"The following action names are invalid: {names}")
    for statement in statements:
        if _grants_everyone(statement):
            # Block Public Access, which DynamoDB applies to every policy it is given; its words
            # come without the usual "One or more parameter values were invalid" (DDB-TABLE-356).
            raise ValidationException(
                "Resource-based policy grants unbounded access in one or more elements. "
                "Please revise the policy to ensure least-privilege form of access")


def _grants_everyone(statement: dict) -> bool:
    """An Allow to every principal with no Condition to narrow it. (One with a Condition was not
    recorded; it is let through rather than refused on a guess.)"""
    if str(statement.get("Effect", "")).lower() != "allow" or statement.get("Condition"):
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))


def _canonical_statement(statement: dict) -> dict:
    result = _ordered(statement, _STATEMENT_ORDER)
    effect = result.get("Effect")
    if isinstance(effect, str) and effect.lower() in ("allow", "deny"):
        result["Effect"] = effect.capitalize()
    for member in ("Principal", "NotPrincipal"):
        if isinstance(result.get(member), dict):
            result[member] = {kind: _canonical_principals(kind, names) for kind, names in result[member].items()}
    for member in ("Action", "NotAction", "Resource", "NotResource"):
        if member in result:
            result[member] = _single_as_string(result[member])
    return result


def _canonical_principals(kind: str, names: Any) -> Any:
    """An account id stands for the account's root; the same principal named twice is one."""
    if kind != "AWS":
        return _single_as_string(names)
    seen: list[Any] = []
    for name in _as_list(names):
        if isinstance(name, str) and _ACCOUNT_ID.match(name):
            name = f"arn:aws:iam::{name}:root"
        if name not in seen:
            seen.append(name)
    return _single_as_string(seen)


def _ordered(members: dict, order: tuple[str, ...]) -> dict:
    result = {name: members[name] for name in order if name in members}
    result.update((name, value) for name, value in members.items() if name not in result)
    return result


def _single_as_string(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _minified(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _invalid_document(detail: str) -> ValidationException:
    return invalid(f"Invalid policy document: {detail}")
