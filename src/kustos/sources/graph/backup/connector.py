"""One backup connector multiplexing the selected Microsoft 365 services of a connection.

Scope ids are prefixed by the service (``onedrive:<user id>``, ``mail:<user id>``, ...) so one
connection's cursors never collide; ``Scope.meta["service"]`` names the service too (:mod:`kustos.sources.multiplex`).
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from kustos.sources.multiplex import Service as BaseService
from kustos.sources.multiplex import ServiceConnector

__all__ = ["GraphBackupConnector", "Service"]


class Service(BaseService, Protocol):
    scope_kind: ClassVar[str]


class GraphBackupConnector(ServiceConnector):
    """Connector over the services of one Microsoft 365 connection (see the module docstring)."""

    name: ClassVar[str] = "graph-backup"

    def sign_in(self) -> None:
        self.session._token.token(force_refresh=True)
