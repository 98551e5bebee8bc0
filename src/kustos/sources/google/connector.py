"""One backup connector multiplexing the selected Google Workspace services of a connection.

Scope ids are prefixed by the service (``drive:<user e-mail>``, ``drive:shared:<drive id>``,
``calendar:<user e-mail>``, ...) so one connection's cursors never collide; ``Scope.meta["service"]``
names the service too (:mod:`kustos.sources.multiplex`).
"""

from __future__ import annotations

from typing import ClassVar

from kustos.sources.gmail.connector import DIRECTORY_SCOPE
from kustos.sources.multiplex import Service, ServiceConnector

__all__ = ["GoogleBackupConnector", "Service"]


class GoogleBackupConnector(ServiceConnector):
    """Connector over the services of one Google Workspace connection (see the module docstring)."""

    name: ClassVar[str] = "google-backup"

    def sign_in(self) -> None:
        self.session.tokens.for_user(self.session.admin_email, DIRECTORY_SCOPE).token(force_refresh=True)
