"""The connector contract shared by every pull source (DESIGN.md, "Connectors").

A connector enumerates scopes (mailboxes, users, drives, ...) and fetches batches of
items per scope from an opaque JSON cursor. The caller stores each batch durably and
only then commits ``batch.next_cursor``; ``reset=True`` means the source invalidated
the cursor and everything is being re-enumerated (deduplication makes that cheap).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

Cursor = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """One unit a connector fetches independently: a mailbox, a user, a drive, a site."""

    id: str
    kind: str = "mailbox"
    name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Item:
    """One fetched item.

    For mail: ``data`` is the raw RFC 5322 bytes, ``folder`` the source folder path
    (``/``-separated), ``source_id`` the source's id (UID, Graph id, Gmail id).
    ``deleted=True`` is a deletion marker (``data`` empty); archives ignore those.
    For files and other large items ``data`` stays empty and ``stream`` opens the content as an
    iterator of byte chunks (read once, so memory does not grow with the item's size); ``meta``
    carries what a backup keeps beside the content (eTag/cTag, timestamps, owners, permissions).
    """

    source_id: str
    data: bytes = b""
    folder: str = ""
    kind: str = "message"
    deleted: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    stream: Callable[[], Iterator[bytes]] | None = None


@dataclass
class Batch:
    items: list[Item]
    next_cursor: Cursor | None
    reset: bool = False


class ConnectorError(Exception):
    """A source failed; the message is shown to the partner as is (no secrets in it)."""


class AuthenticationFailed(ConnectorError):
    pass


class PermissionMissing(ConnectorError):
    pass


class HostUnreachable(ConnectorError):
    pass


class TLSFailure(ConnectorError):
    pass


class CursorExpired(ConnectorError):
    """The source no longer accepts the cursor; the caller re-enumerates with None."""


@runtime_checkable
class Connector(Protocol):
    name: ClassVar[str]

    def check(self) -> None:
        """Verify credentials and permissions; raise ConnectorError with clear text."""

    def scopes(self) -> Iterable[Scope]:
        """All scopes this connection can fetch."""

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        """Yield batches; the last batch's next_cursor is the one to keep."""


class BackupOnlyDiscovery:
    """The plain connector of a backup-only kind (Dropbox, Box): it tests the connection and
    discovers the scopes through the kind's backup connector; an archive run over it fetches nothing
    (such sources are never scheduled for archiving either)."""

    name: ClassVar[str] = ""

    def __init__(self, backup: Any) -> None:
        self.backup = backup

    def close(self) -> None:
        self.backup.close()

    def check(self) -> None:
        self.backup.check()

    def scopes(self) -> Iterator[Scope]:
        yield from self.backup.scopes()

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        return iter(())
