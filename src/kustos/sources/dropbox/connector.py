"""One backup connector over the selected Dropbox services of a team app (scope ids ``<service>:<id>``)."""

from __future__ import annotations

from typing import ClassVar

from kustos.sources.base import BackupOnlyDiscovery
from kustos.sources.multiplex import ServiceConnector


class DropboxBackupConnector(ServiceConnector):
    name: ClassVar[str] = "dropbox-backup"

    def sign_in(self) -> None:
        self.session.check()


class DropboxDiscovery(BackupOnlyDiscovery):
    """The kind's plain connector: Dropbox is backup only (connection test and scope discovery)."""

    name: ClassVar[str] = "dropbox"
