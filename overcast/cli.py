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
    from overcast.server.app import Overcast
    from overcast.server.http_server import run

    app = Overcast(config)

    def announce() -> None:
        print(f"Overcast {__version__} listening on http://{config.host}:{config.port} "
              f"(data in {config.data_dir})", flush=True)

    # Until the server's own handlers are installed (at once, below), a signal still ends the
    # process cleanly rather than by a traceback.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    try:
        return run(app, config.host, config.port, on_listening=announce, on_started=app.started,
                   on_stopping=app.stop)
    finally:
        app.shutdown()  # when serving never began (the port was taken); else already done


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
