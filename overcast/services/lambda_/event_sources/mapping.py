"""An event source mapping as Overcast keeps it, and as Lambda's operations answer with it."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

# The states a mapping rests in; the others (Creating, Enabling, Disabling, Updating, Deleting)
# are what an operation answers while its change is being applied, as Lambda reports them.
ENABLED = "Enabled"
DISABLED = "Disabled"
DELETING = "Deleting"

NO_RECORDS = "No records processed"
OK = "OK"

# Lambda's defaults for stream sources (LocalStack's AWS-validated
# test_lambda_integration_dynamodbstreams snapshots, CreateEventSourceMapping's answer).
STREAM_DEFAULTS: dict[str, Any] = {
    "BatchSize": 100,
    "MaximumBatchingWindowInSeconds": 0,
    "ParallelizationFactor": 1,
    "MaximumRetryAttempts": -1,
    "MaximumRecordAgeInSeconds": -1,
    "BisectBatchOnFunctionError": False,
    "TumblingWindowInSeconds": 0,
    "FunctionResponseTypes": [],
    "DestinationConfig": {"OnFailure": {}},
}

# The settings UpdateEventSourceMapping may change (besides Enabled and FunctionName).
UPDATABLE = ("BatchSize", "MaximumBatchingWindowInSeconds", "ParallelizationFactor", "MaximumRetryAttempts",
             "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "TumblingWindowInSeconds",
             "FunctionResponseTypes", "DestinationConfig", "FilterCriteria")


@dataclass
class Mapping:
    uuid: str
    account: str
    region: str
    created: float
    function_arn: str  # qualified when the mapping names a version or an alias
    event_source_arn: str
    settings: dict[str, Any]  # the STREAM_DEFAULTS keys, StartingPosition, FilterCriteria
    state: str  # as answered now: Creating, Enabled, Disabling, ...
    settled_state: str  # where the current change leads: Enabled, Disabled or Deleting
    last_modified: float
    last_processing_result: str = NO_RECORDS
    state_transition_reason: str = "User action"
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:event-source-mapping:{self.uuid}"

    @property
    def function_name(self) -> str:
        return self.function_arn.split(":")[6]

    @property
    def enabled(self) -> bool:
        return self.settled_state == ENABLED

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Mapping:
        return cls(**doc)

    def describe(self) -> dict[str, Any]:
        """EventSourceMappingConfiguration, with its members in Lambda's order."""
        out: dict[str, Any] = {"UUID": self.uuid}
        settings = copy.deepcopy(self.settings)
        for key in ("StartingPosition", "StartingPositionTimestamp", "BatchSize", "MaximumBatchingWindowInSeconds",
                    "ParallelizationFactor"):
            if key in settings:
                out[key] = settings[key]
        out["EventSourceArn"] = self.event_source_arn
        if settings.get("FilterCriteria"):
            out["FilterCriteria"] = settings["FilterCriteria"]
        out.update({
            "FunctionArn": self.function_arn,
            "LastModified": self.last_modified,
            "LastProcessingResult": self.last_processing_result,
            "State": self.state,
            "StateTransitionReason": self.state_transition_reason,
            "DestinationConfig": settings["DestinationConfig"],
            "MaximumRecordAgeInSeconds": settings["MaximumRecordAgeInSeconds"],
            "BisectBatchOnFunctionError": settings["BisectBatchOnFunctionError"],
            "MaximumRetryAttempts": settings["MaximumRetryAttempts"],
            "TumblingWindowInSeconds": settings["TumblingWindowInSeconds"],
            "FunctionResponseTypes": settings["FunctionResponseTypes"],
            "EventSourceMappingArn": self.arn,
        })
        return out
