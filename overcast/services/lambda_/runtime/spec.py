"""What the data plane needs to know about a function to run it (no control-plane types here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class FunctionSpec:
    function_name: str
    function_arn: str  # unqualified
    version: str  # "$LATEST" or a published number
    runtime: str
    handler: str
    code_dir: str  # extracted code, shared read-only by every environment of this revision
    memory_mb: int
    timeout_s: int
    region: str
    account_id: str
    endpoint_url: str
    # Changes whenever code or configuration changes; environments of an older revision retire.
    revision: str
    layer_dirs: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    ephemeral_mb: int = 512
    access_key: str = "test"
    secret_key: str = "test"
    log_group: str = ""
    log_format: str = "Text"
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def pool_key(self) -> tuple[str, str, str, str]:
        return (self.account_id, self.region, self.function_name, self.version)

    @property
    def concurrency_key(self) -> tuple[str, str, str]:
        # Reserved concurrency covers every version and alias of a function.
        return (self.account_id, self.region, self.function_name)

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.function_name}"

    @property
    def family(self) -> str:
        if self.runtime.startswith("python"):
            return "python"
        if self.runtime.startswith("nodejs"):
            return "node"
        return "provided"


class LogSink(Protocol):
    """Where an environment's log lines go (CloudWatch Logs in the server; a list in tests)."""

    def write(self, spec: FunctionSpec, stream: str, events: list[tuple[int, str]]) -> None: ...

    def time(self) -> float:
        """Seconds since the epoch on the clock log lines are stamped with (Overcast's, which
        /_overcast/clock moves, as every other time-driven feature reads)."""
        ...
