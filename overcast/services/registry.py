"""Finds and builds each service's provider on its first request.

Nothing of a service is imported before it is needed: start-up only reads the catalog.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
from typing import Any

from overcast.protocol.catalog import BY_NAME, SERVICES
from overcast.services.base import Provider, ServiceRuntime

log = logging.getLogger("overcast.services")


def _package(service: str) -> str:
    entry = BY_NAME[service]
    return entry.package or entry.name


class ProviderRegistry:
    def __init__(self, runtime: ServiceRuntime):
        self.runtime = runtime
        self._providers: dict[str, Provider | None] = {}
        self._lock = threading.Lock()

    def get(self, service: str) -> Provider | None:
        """The service's provider, built on first use; None when Overcast has none yet."""
        try:
            return self._providers[service]
        except KeyError:
            pass
        with self._lock:
            if service in self._providers:
                return self._providers[service]
            provider = self._build(service)
            self._providers[service] = provider
            return provider

    def _build(self, service: str) -> Provider | None:
        module_name = f"overcast.services.{_package(service)}.provider"
        if importlib.util.find_spec(f"overcast.services.{_package(service)}") is None:
            return None
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        provider: Provider = module.Provider(self.runtime)
        provider.start()
        log.debug("service %s started", service)
        return provider

    def loaded(self) -> dict[str, Provider | None]:
        return dict(self._providers)

    def has_provider(self, service: str) -> bool:
        return importlib.util.find_spec(f"overcast.services.{_package(service)}") is not None

    def describe(self) -> dict[str, dict[str, Any]]:
        """Each shipped service and its state, for /_overcast/health."""
        out: dict[str, dict[str, Any]] = {}
        for entry in SERVICES:
            if entry.name in self._providers and self._providers[entry.name] is not None:
                state = "running"
            elif self.has_provider(entry.name):
                state = "available"
            else:
                state = "not implemented"
            info: dict[str, Any] = {"state": state, "protocol": entry.protocol}
            details = self.runtime.health.get(entry.name)
            if details:
                info.update(details)
            out[entry.name] = info
        return out

    def stop(self) -> None:
        for provider in self._providers.values():
            if provider is not None:
                try:
                    provider.stop()
                except Exception:
                    log.exception("stopping a provider failed")
