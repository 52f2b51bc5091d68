"""Lambda's server settings: --lambda-concurrency and --lambda-idle-timeout, or their
environment variables, reach the Config the provider reads."""

from __future__ import annotations

from overcast.cli import build_parser
from overcast.config import from_env_and_args


def _config(argv: list[str]):
    args = vars(build_parser().parse_args(["serve", *argv]))
    return from_env_and_args(args)


def test_defaults(monkeypatch):
    monkeypatch.delenv("OVERCAST_LAMBDA_CONCURRENCY", raising=False)
    monkeypatch.delenv("OVERCAST_LAMBDA_IDLE_TIMEOUT", raising=False)
    config = _config([])
    assert config.lambda_concurrency == 1000
    assert config.lambda_idle_timeout == 600.0


def test_flags_win_over_environment(monkeypatch):
    monkeypatch.setenv("OVERCAST_LAMBDA_CONCURRENCY", "7")
    monkeypatch.setenv("OVERCAST_LAMBDA_IDLE_TIMEOUT", "2.5")
    from_env = _config([])
    assert (from_env.lambda_concurrency, from_env.lambda_idle_timeout) == (7, 2.5)
    from_flags = _config(["--lambda-concurrency", "3", "--lambda-idle-timeout", "30"])
    assert (from_flags.lambda_concurrency, from_flags.lambda_idle_timeout) == (3, 30.0)
    assert isinstance(from_flags.lambda_idle_timeout, float)
