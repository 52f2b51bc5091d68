"""Server configuration: command-line flags, each with an environment variable behind it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def default_data_dir() -> str:
    """A per-user place: $XDG_DATA_HOME/overcast, else ~/.local/share/overcast."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "overcast")


def default_node_sdk_dir() -> str:
    """Where `overcast lambda-node-sdk install` puts the AWS SDK for JavaScript v3 and the server
    looks for it: a per-user cache ($XDG_CACHE_HOME/overcast/node-sdk, else ~/.cache/...), not the
    data directory, since it is downloaded software that can be installed again, not state."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "overcast", "node-sdk")


@dataclass(frozen=True)
class Setting:
    flag: str
    env: str
    default: object
    help: str


# One table feeds argparse, the environment and the README's configuration table.
SETTINGS: tuple[Setting, ...] = (
    Setting("host", "OVERCAST_HOST", "127.0.0.1", "address to listen on (127.0.0.1 keeps it private to this machine)"),
    Setting("port", "OVERCAST_PORT", 4566, "port for every AWS API and /_overcast/"),
    Setting("data_dir", "OVERCAST_DATA_DIR", None, "where state lives (default: $XDG_DATA_HOME/overcast or ~/.local/share/overcast)"),
    Setting("region", "OVERCAST_REGION", "us-east-1", "region used when a request names none"),
    Setting("account", "OVERCAST_ACCOUNT", "000000000000", "account id used when the access key is not a 12-digit account id"),
    Setting("log_level", "OVERCAST_LOG_LEVEL", "info", "debug, info, warning or error; info logs one line per request"),
    Setting("verify_signatures", "OVERCAST_VERIFY_SIGNATURES", False, "check SigV4 signatures against the configured credentials"),
    Setting("credentials", "OVERCAST_CREDENTIALS", "test:test", "access_key:secret pairs, comma separated, used when verifying signatures"),
    Setting("fsync", "OVERCAST_FSYNC", True, "sync writes to disk before acknowledging them (turning this off trades durability for speed)"),
    Setting("lambda_concurrency", "OVERCAST_LAMBDA_CONCURRENCY", 1000,
            "Lambda execution environments that may run at once, across all functions (the account's concurrency limit)"),
    Setting("lambda_idle_timeout", "OVERCAST_LAMBDA_IDLE_TIMEOUT", 600.0,
            "seconds an idle Lambda execution environment stays warm before it is stopped"),
    Setting("dynamodb_transfer_seconds", "OVERCAST_DYNAMODB_TRANSFER_SECONDS", 0.0,
            "clock seconds a DynamoDB export to S3 or import from S3 stays IN_PROGRESS before it runs "
            "(AWS's take minutes); moving the clock (/_overcast/clock) releases it"),
    Setting("logs_query_seconds", "OVERCAST_LOGS_QUERY_SECONDS", 0.0,
            "clock seconds a CloudWatch Logs Insights query stays Scheduled before it runs; moving the clock "
            "(/_overcast/clock) releases it"),
    Setting("apigateway_control_plane_quotas", "OVERCAST_APIGATEWAY_CONTROL_PLANE_QUOTAS", False,
            "refuse API Gateway control-plane calls past AWS's fixed per-account quotas (CreateRestApi once "
            "every 3 or 30 s, CreateDeployment once every 5 s, 10 calls a second in all, ...) with "
            "TooManyRequestsException, as AWS does; off, so that local deployments are not slowed"),
    Setting("lambda_node_sdk", "OVERCAST_LAMBDA_NODE_SDK", None,
            "directory holding the AWS SDK for JavaScript v3 that Node.js functions find as on AWS, as "
            "`overcast lambda-node-sdk install` fills it (default: $XDG_CACHE_HOME/overcast/node-sdk or "
            "~/.cache/overcast/node-sdk)"),
)


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: str = field(default_factory=default_data_dir)
    region: str = "us-east-1"
    account: str = "000000000000"
    log_level: str = "info"
    verify_signatures: bool = False
    credentials: str = "test:test"
    fsync: bool = True
    lambda_concurrency: int = 1000
    lambda_idle_timeout: float = 600.0
    apigateway_control_plane_quotas: bool = False
    dynamodb_transfer_seconds: float = 0.0
    logs_query_seconds: float = 0.0
    lambda_node_sdk: str = field(default_factory=default_node_sdk_dir)

    @property
    def credential_map(self) -> dict[str, str]:
        pairs = {}
        for item in self.credentials.split(","):
            if ":" in item:
                key, secret = item.split(":", 1)
                pairs[key.strip()] = secret.strip()
        return pairs

    @property
    def endpoint_url(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::", "::1") else self.host
        return f"http://{host}:{self.port}"


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def from_env_and_args(args: dict[str, object]) -> Config:
    """Flags win over environment variables, which win over defaults."""
    values: dict[str, object] = {}
    for setting in SETTINGS:
        value = args.get(setting.flag)
        if value is None:
            value = os.environ.get(setting.env)
        if value is None:
            continue
        if isinstance(setting.default, bool):
            value = parse_bool(value)
        elif isinstance(setting.default, int):
            value = int(str(value))  # a flag arrives as int, an environment variable as text
        elif isinstance(setting.default, float):
            value = float(str(value))
        values[setting.flag] = value
    # Each value was converted to its Setting's type above, which mypy cannot follow through the table.
    return Config(**values)  # type: ignore[arg-type]
