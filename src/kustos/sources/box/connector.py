"""One backup connector over the selected services of a Box connection.

Scope ids are prefixed by the service (``files:<user id>``) so a connection's cursors never collide and
later services (e.g. enterprise-wide ones) fit beside it; ``Scope.meta["service"]`` names the service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import ClassVar

from kustos.sources.base import BackupOnlyDiscovery, Batch, ConnectorError, Cursor, Scope
from kustos.sources.box.files import FilesService
from kustos.sources.box.session import BoxSession


class BoxBackupConnector:
    name: ClassVar[str] = "box-backup"

    def __init__(self, session: BoxSession, services: Mapping[str, FilesService]) -> None:
        if not services:
            raise ConnectorError("no backup service was selected")
        self.session = session
        self.services = dict(services)

    def close(self) -> None:
        self.session.close()

    def check(self) -> None:
        """Sign in, list the users and read the first user's root folder As-User."""
        self.session._token.token(force_refresh=True)
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
        if not sep or not inner:
            raise ConnectorError(f"backup scope id {scope.id!r} does not start with a service name")
        service = self.services.get(name)
        if service is None:
            raise ConnectorError(f"backup service {name!r} is not selected for this connection")
        yield from service.fetch(replace(scope, id=inner), cursor)


class BoxDiscovery(BackupOnlyDiscovery):
    """The kind's plain connector: Box is backup only (connection test and scope discovery)."""

    name: ClassVar[str] = "box"
