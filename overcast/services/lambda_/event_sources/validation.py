"""What CreateEventSourceMapping and UpdateEventSourceMapping refuse, in Lambda's words.

Ranges and enums (BatchSize 1-10000, MaximumBatchingWindowInSeconds 0-300, ParallelizationFactor
1-10, MaximumRetryAttempts -1-10000, MaximumRecordAgeInSeconds -1-604800, TumblingWindowInSeconds
0-900, StartingPosition, FunctionResponseTypes) are the model's constraints, checked before any
operation runs (protocol/validation.py). What is left here depends on the source or on the
request as a whole.
"""

from __future__ import annotations

import copy
from typing import Any

from overcast.services.lambda_.errors import InvalidParameterValue
from overcast.services.lambda_.event_sources.filters import InvalidPattern, parse_pattern
from overcast.services.lambda_.event_sources.mapping import STREAM_DEFAULTS, UPDATABLE

STREAM_POSITIONS = ("TRIM_HORIZON", "LATEST")


def check_starting_position(params: dict[str, Any], source_arn: str) -> None:
    """A stream mapping needs a StartingPosition; DynamoDB streams have no AT_TIMESTAMP. Wordings
    from LocalStack's AWS-validated test_create_starting_position_validation_exceptions[dynamodb]
    (recorded 2025-02-17) and its provider's null check."""
    position = params.get("StartingPosition")
    if position is None:
        raise InvalidParameterValue("1 validation error detected: Value null at 'startingPosition' failed to "
                                    "satisfy constraint: Member must not be null.")
    if params.get("StartingPositionTimestamp") is not None and position != "AT_TIMESTAMP":
        raise InvalidParameterValue("Timestamp only valid with StartingPosition AT_TIMESTAMP")
    if position not in STREAM_POSITIONS:
        raise InvalidParameterValue(f"Unsupported starting position for arn type: {source_arn}")


def check_record_age(params: dict[str, Any]) -> None:
    """The model allows -1 to 604800; Lambda refuses 0 to 59 (AWS's answer, quoted in
    terraform-provider-aws #16113)."""
    age = params.get("MaximumRecordAgeInSeconds")
    if age is not None and age != -1 and not 60 <= age <= 604800:
        raise InvalidParameterValue("MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and "
                                    "604800 (inclusive)")


def check_destination(params: dict[str, Any]) -> None:
    # Stream mappings send only failed batches somewhere (OnFailure).
    if "OnSuccess" in (params.get("DestinationConfig") or {}):
        raise InvalidParameterValue("Unsupported DestinationConfig parameter for given event source mapping type.")


def filter_patterns(criteria: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The parsed patterns of FilterCriteria; "Invalid filter pattern definition." for any that
    is not an event pattern (LocalStack's AWS-validated test_dynamodb_invalid_event_filter)."""
    patterns = []
    for entry in (criteria or {}).get("Filters") or []:
        try:
            patterns.append(parse_pattern(entry.get("Pattern")))
        except InvalidPattern:
            raise InvalidParameterValue("Invalid filter pattern definition.") from None
    return patterns


def settings_for_create(params: dict[str, Any]) -> dict[str, Any]:
    settings = copy.deepcopy(STREAM_DEFAULTS)
    for key in UPDATABLE:
        if params.get(key) is not None:
            settings[key] = copy.deepcopy(params[key])
    settings["StartingPosition"] = params["StartingPosition"]
    _normalise(settings)
    return settings


def settings_for_update(current: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    settings = copy.deepcopy(current)
    for key in UPDATABLE:
        if params.get(key) is not None:
            settings[key] = copy.deepcopy(params[key])
    _normalise(settings)
    return settings


def _normalise(settings: dict[str, Any]) -> None:
    destination = settings.get("DestinationConfig") or {}
    settings["DestinationConfig"] = {"OnFailure": dict(destination.get("OnFailure") or {})}
    criteria = settings.get("FilterCriteria")
    if criteria is not None and not criteria.get("Filters"):
        # An empty filter list clears the filters (how UpdateEventSourceMapping removes them).
        settings.pop("FilterCriteria", None)
