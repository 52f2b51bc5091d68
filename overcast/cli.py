"""The `overcast` command."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from overcast import __version__
from overcast.config import SETTINGS, Config, from_env_and_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overcast",
        description="Overcast: the AWS serverless stack (S3, Lambda, API Gateway, DynamoDB, ...) on your machine, "
        "on one port, for unmodified AWS clients. Point them at it with AWS_ENDPOINT_URL=http://localhost:4566.",
    )
    parser.add_argument("--version", action="version", version=f"overcast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="start the server",
        description="Start the server. Every flag can also be set by the environment variable shown.",
    )
    for setting in SETTINGS:
        flag = "--" + setting.flag.replace("_", "-")
        default = setting.default
        help_text = f"{setting.help} [env {setting.env}; default {default if default is not None else 'per-user'}]"
        if isinstance(default, bool):
            serve.add_argument(flag, dest=setting.flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            serve.add_argument(flag, dest=setting.flag, type=type(default) if default is not None else str,
                               default=None, help=help_text)
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname).1s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


def serve(config: Config) -> int:
    configure_logging(config.log_level)
    import uvicorn

    from overcast.server.app import Overcast

    app = Overcast(config)
    print(
        f"Overcast {__version__} listening on http://{config.host}:{config.port} "
        f"(data in {config.data_dir})",
        flush=True,
    )
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    # uvicorn stops gracefully on SIGINT/SIGTERM, then re-raises the signal with the handlers it
    # found installed; these make that final step a clean exit instead of a death by signal.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        loop=loop,
        http="httptools",
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
        server_header=False,
        proxy_headers=False,  # no proxy in front of a local server: skip that middleware per request
        date_header=True,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "serve":
        parser.print_help()
        return 0 if args.command is None else 2
    config = from_env_and_args(vars(args))
    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
