"""One backup connector over the selected Dropbox services of a team app (scope ids ``<service>:<id>``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import ClassVar

from kustos.sources.base import BackupOnlyDiscovery, Batch, ConnectorError, Cursor, Scope
from kustos.sources.dropbox.files import FilesService
from kustos.sources.dropbox.session import DropboxSession


class DropboxBackupConnector:
    name: ClassVar[str] = "dropbox-backup"

    def __init__(self, session: DropboxSession, services: Mapping[str, FilesService]) -> None:
        if not services:
            raise ConnectorError("no backup service was selected")
        self.session = session
        self.services = dict(services)

    def close(self) -> None:
        self.session.close()

    def check(self) -> None:
        """Sign in, list the team's members and read the first member's root folder."""
        self.session.check()
        for service in self.services.values():
            first = next(iter(service.scopes()), None)
            if first is not None:
                service.check(first)

    def scopes(self) -> Iterator[Scope]:
        for name, service in self.services.items():
            for scope in service.scopes():
                yield replace(scope, id=f"{name}:{scope.id}", meta={**scope.meta, "service": name,
                                                                     "account": scope.id})

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        name, sep, inner = scope.id.partition(":")
        service = self.services.get(name) if sep and inner else None
        if service is None:
            raise ConnectorError(f"backup scope {scope.id!r} names no selected Dropbox service")
        yield from service.fetch(replace(scope, id=inner), cursor)


class DropboxDiscovery(BackupOnlyDiscovery):
    """The kind's plain connector: Dropbox is backup only (connection test and scope discovery)."""

    name: ClassVar[str] = "dropbox"
