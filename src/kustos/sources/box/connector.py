"""One backup connector over the selected services of a Box connection.

Scope ids are prefixed by the service (``files:<user id>``) so a connection's cursors never collide and
later services (e.g. enterprise-wide ones) fit beside it; ``Scope.meta["service"]`` names the service.
"""

from __future__ import annotations

from typing import ClassVar

from kustos.sources.base import BackupOnlyDiscovery
from kustos.sources.multiplex import ServiceConnector


class BoxBackupConnector(ServiceConnector):
    name: ClassVar[str] = "box-backup"

    def sign_in(self) -> None:
        self.session._token.token(force_refresh=True)


class BoxDiscovery(BackupOnlyDiscovery):
    """The kind's plain connector: Box is backup only (connection test and scope discovery)."""

    name: ClassVar[str] = "box"
