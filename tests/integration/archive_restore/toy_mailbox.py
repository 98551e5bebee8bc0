"""A source kind registered only in tests whose mailbox writer keeps what it receives in memory
(``STORE``: (mailbox, folder) -> [(message_id, sha256, bytes, internal_date, flags)]), so the access
rules of restore to mailbox can be tested without a mail server (the real writers are tested against
Dovecot and fakecloud)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from kustos.sources.kinds.fields import PASSWORD, Field, Kind

STORE: dict[tuple[str, str], list[tuple[str, str, bytes, datetime | None, tuple[str, ...]]]] = {}


def _message_id(raw: bytes) -> str:
    for line in raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    return ""


class MemoryWriter:
    def exists(self, mailbox: str, folder: str, message_id: str, sha256: str, **hints: Any) -> bool:
        return any(m == message_id and s == sha256 for m, s, *_ in STORE.get((mailbox, folder), []))

    def append(self, mailbox: str, folder: str, raw: bytes, internal_date: datetime | None,
               flags: Any = ()) -> None:
        if folder == "Refused":
            raise PermissionError(f"the server refused folder {folder}")
        STORE.setdefault((mailbox, folder), []).append(
            (_message_id(raw), hashlib.sha256(raw).hexdigest(), raw, internal_date, tuple(flags)))


def _no_connector(config: dict[str, Any], secret: str, egress: Any) -> Any:
    raise NotImplementedError("the toy mailbox kind only restores")


KIND = Kind(name="toymailbox", label="Toy mailbox", label_de="Spielzeug-Postfach", build=_no_connector,
            scope_kinds=("user",), fields=(Field("password", PASSWORD, "Password", "Passwort"),),
            build_mailbox_writer=lambda config, secret, egress: MemoryWriter())
