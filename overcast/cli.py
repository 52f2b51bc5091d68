"""The `overcast` command."""

from __future__ import annotations

import argparse
import logging
import os
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
    add_node_sdk_commands(sub)
    return parser


def add_node_sdk_commands(sub: argparse._SubParsersAction) -> None:
    node_sdk = sub.add_parser(
        "lambda-node-sdk",
        help="set up the AWS SDK for JavaScript v3 that Node.js functions use without bundling it",
        description="AWS's Node.js runtimes include the AWS SDK for JavaScript v3; Overcast's find it in a "
        "per-user directory that this command fills with npm (once; after that, functions run offline).",
    )
    actions = node_sdk.add_subparsers(dest="node_sdk_command", metavar="ACTION", required=True)
    install = actions.add_parser(
        "install",
        help="npm-install the commonly used clients (and any named) into the directory the server reads",
        description="Install @aws-sdk/client-dynamodb, lib-dynamodb, client-s3 and the other commonly used "
        "clients, plus any PACKAGE named, with npm. Running it again is quick, and keeps what is there.",
    )
    install.add_argument("packages", nargs="*", metavar="PACKAGE",
                         help="more packages, e.g. @aws-sdk/client-athena (a version may follow an @)")
    install.add_argument("--dir", dest="node_sdk_dir", metavar="DIR", default=None,
                         help="where to install [env OVERCAST_LAMBDA_NODE_SDK; default "
                              "$XDG_CACHE_HOME/overcast/node-sdk or ~/.cache/overcast/node-sdk]")


def node_sdk_command(args: argparse.Namespace) -> int:
    from overcast.config import default_node_sdk_dir
    from overcast.services.lambda_.runtime.node_sdk_install import install

    server_default = os.environ.get("OVERCAST_LAMBDA_NODE_SDK") or default_node_sdk_dir()
    return install(args.node_sdk_dir or server_default, args.packages, server_default)


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
    if args.command == "lambda-node-sdk":
        return node_sdk_command(args)
    if args.command != "serve":
        parser.print_help()
        return 0 if args.command is None else 2
    config = from_env_and_args(vars(args))
    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
