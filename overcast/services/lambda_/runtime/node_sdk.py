"""The AWS SDK for JavaScript v3 that Node.js functions use without bundling it, as on AWS.

AWS's Node.js 18+ runtimes carry the SDK in /var/runtime/node_modules, which their bootstrap puts
on NODE_PATH after the layers' directories (/opt/nodejs/nodeNN/node_modules:/opt/nodejs/node_modules:
/var/runtime/node_modules:...), so a function's own node_modules (found first by Node's walk up
from the importing file) and its layers win over it. Overcast cannot ship npm packages in its pip
package: `overcast lambda-node-sdk install` (node_sdk_install.py) fills a per-user directory, and
environments find it at that place on NODE_PATH (bootstrap_node.js extends NODE_PATH to ES module
imports, which do not read it).
"""

from __future__ import annotations

import logging
import os
import re

from overcast.config import default_node_sdk_dir

log = logging.getLogger("overcast.lambda")

# How Node words a package it cannot find: require() ("Cannot find module 'x'") and import
# ("Cannot find package 'x' imported from ...").
_MISSING_SDK_PACKAGE = re.compile(r"Cannot find (?:module|package) '(@aws-sdk/[^'/]+)")
INSTALL_COMMAND = "overcast lambda-node-sdk install"


def modules_dir(root: str) -> str | None:
    """The node_modules directory an installed SDK lives in: `root`/node_modules as the install
    command makes it, or `root` itself when it is one; None when neither exists."""
    for candidate in (os.path.join(root, "node_modules"), root):
        if os.path.basename(candidate) == "node_modules" and os.path.isdir(candidate):
            return candidate
    return None


def missing_sdk_package(error_payload: bytes) -> str | None:
    """The @aws-sdk package a function's error says Node could not find, if it says so."""
    match = _MISSING_SDK_PACKAGE.search(error_payload.decode("utf-8", "replace"))
    return match.group(1) if match else None


class NodeSdk:
    """Where environments find the SDK, and the one hint given when a function misses it."""

    def __init__(self, root: str | None):
        self.root = root
        self._hinted: set[tuple[str, str, str]] = set()
        self._logged = False
        found = self.modules()
        if found is not None:
            log.info("Node.js functions find the AWS SDK for JavaScript v3 in %s", found)

    def modules(self) -> str | None:
        """Looked up at each environment's start (one stat), so an install made while the server
        runs is used from the next cold start on."""
        return modules_dir(self.root) if self.root else None

    def hint_once(self, function_key: tuple[str, str, str], error_payload: bytes) -> str | None:
        """For a function whose error says an @aws-sdk package is missing: how to install it, once
        per function for its log (and once in the server's log), None otherwise."""
        if self.root is None or function_key in self._hinted:
            return None
        package = missing_sdk_package(error_payload)
        if package is None:
            return None
        self._hinted.add(function_key)
        command = INSTALL_COMMAND
        if os.path.abspath(self.root) != os.path.abspath(default_node_sdk_dir()):
            command += f" --dir {self.root}"
        if self.modules() is None:
            hint = (f"Overcast: {package} is part of the AWS SDK for JavaScript v3, which AWS's Node.js runtimes "
                    f"include and Overcast looks for in {self.root}, where it is not installed; install it once "
                    f"with `{command}`.")
        else:
            hint = (f"Overcast: {package} is not among the AWS SDK for JavaScript v3 packages installed in "
                    f"{self.root}; add it with `{command} {package}`.")
        if not self._logged:
            self._logged = True
            log.warning("function %s: %s", function_key[2], hint)
        return hint
