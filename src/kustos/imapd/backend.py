"""What the protocol core needs from the archive (implemented by ``kustos.imapd.adapter``).

Every method is synchronous and called from a worker thread; none returns more than the logged-in
user may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class AuthError(Exception):
    """A refused login; the message is shown to the client (it never says which part was wrong
    unless the password was right, e.g. "use an app password")."""


@dataclass(frozen=True)
class FolderInfo:
    name: str  # the IMAP name (Unicode, "/"-separated)
    selectable: bool = True
    uidvalidity: int = 0
    has_children: bool = False


@dataclass(frozen=True)
class MessageInfo:
    uid: int
    message_id: str  # the archive id
    size: int
    internaldate: datetime
    # The mailbox's flags as archived (IMAP spelling); read-only, so a FETCH of the body never adds \Seen.
    flags: tuple[str, ...] = ("\\Seen",)


class Account(Protocol):
    """One logged-in user's read-only view of the archive."""

    name: str

    def folders(self) -> list[FolderInfo]: ...

    def open(self, name: str) -> tuple[FolderInfo, list[MessageInfo]] | None:
        """The folder and its visible messages in ascending UID order; None = no such folder."""

    def fetch(self, message: MessageInfo) -> bytes:
        """The original archived bytes."""

    def search(self, folder: FolderInfo, query: str, messages: list[MessageInfo]) -> set[int]:
        """UIDs of ``messages`` matching ``query`` (the archive's search language) in the search index."""

    def record_fetches(self, folder: FolderInfo, message_ids: list[str]) -> None:
        """Audit: these messages' contents were sent to the client."""

    def close(self) -> None: ...


class Authenticator(Protocol):
    def login(self, username: str, password: str, client: str) -> Account:
        """The user's account view, or AuthError."""

    def failed(self, username: str, client: str, reason: str) -> None:
        """Audit a refused login that did not reach ``login`` (e.g. rate-limited)."""


class CommandError(Exception):
    """A command the backend cannot answer (bad search); the message goes into a NO response."""
