"""`overcast lambda-node-sdk install`: npm-install the AWS SDK for JavaScript v3 for Node.js functions.

The packages are written into the directory's package.json and installed by a plain `npm install`,
so running the command again is quick and needs no network once everything is in place (npm
reads its lock file), and packages added earlier by name stay.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence

# The clients functions commonly use (AWS's runtimes carry every client; these cover the
# tutorials and Overcast's services). npm brings in what they depend on (@smithy/*, ...).
DEFAULT_PACKAGES = (
    "@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb", "@aws-sdk/util-dynamodb",
    "@aws-sdk/client-s3", "@aws-sdk/s3-request-presigner", "@aws-sdk/lib-storage",
    "@aws-sdk/client-lambda", "@aws-sdk/client-sqs", "@aws-sdk/client-sns", "@aws-sdk/client-ses",
    "@aws-sdk/client-cloudwatch-logs", "@aws-sdk/client-cloudwatch", "@aws-sdk/client-kinesis",
    "@aws-sdk/client-eventbridge", "@aws-sdk/client-ssm", "@aws-sdk/client-secrets-manager",
    "@aws-sdk/client-sts", "@aws-sdk/client-cognito-identity-provider",
)
# Any 3.x, as the runtimes carry some 3.x release.
SDK_RANGE = "^3.0.0"


def split_spec(spec: str) -> tuple[str, str]:
    """("@aws-sdk/client-s3", "^3.0.0") from "@aws-sdk/client-s3" or "@aws-sdk/client-s3@^3.0.0"."""
    at = spec.rfind("@")
    if at > 0:
        return spec[:at], spec[at + 1:]
    return spec, SDK_RANGE if spec.startswith("@aws-sdk/") else "*"


def write_manifest(root: str, packages: Sequence[str]) -> None:
    manifest = os.path.join(root, "package.json")
    try:
        with open(manifest) as f:
            document = json.load(f)
    except FileNotFoundError:
        document = {"name": "overcast-node-sdk", "private": True,
                    "description": "The AWS SDK for JavaScript v3 that Overcast's Node.js functions find "
                                   "as on AWS's runtimes; written by `overcast lambda-node-sdk install`."}
    dependencies = document.setdefault("dependencies", {})
    for spec in packages:
        name, version = split_spec(spec)
        if spec != name or name not in dependencies:  # a version given again replaces the old one
            dependencies[name] = version
    with open(manifest + ".tmp", "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
    os.replace(manifest + ".tmp", manifest)


def install(root: str, extra_packages: Sequence[str] = (), server_default: str | None = None) -> int:
    """Install DEFAULT_PACKAGES and `extra_packages` into `root`/node_modules; the exit status.
    `server_default` is where a server started without a flag looks (said when `root` is elsewhere)."""
    npm = shutil.which("npm")
    if npm is None:
        print("overcast: npm was not found; install Node.js with npm, then run this again.", file=sys.stderr)
        return 1
    root = os.path.abspath(root)
    os.makedirs(root, exist_ok=True)
    write_manifest(root, [*DEFAULT_PACKAGES, *extra_packages])
    print(f"Installing the AWS SDK for JavaScript v3 into {root} ...", flush=True)
    # No install scripts: the SDK needs none, and nothing downloaded here runs on this machine
    # until a function loads it.
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=dev",
                           "--loglevel=error"], cwd=root)
    if done.returncode != 0:
        print(f"overcast: npm install failed (exit status {done.returncode}) in {root}", file=sys.stderr)
        return done.returncode
    print(f"Installed in {os.path.join(root, 'node_modules')}: Node.js functions find it there as they find "
          f"the SDK on AWS.")
    if server_default is not None and root != os.path.abspath(server_default):
        print(f"The server looks in {server_default} unless told otherwise: start it with "
              f"`overcast serve --lambda-node-sdk {root}` (or OVERCAST_LAMBDA_NODE_SDK={root}).")
    return 0
