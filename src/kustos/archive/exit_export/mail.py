"""The messages of the exit export: each one's original bytes once per mailbox and folder
(``mail/…``), the original .msg beside it when the mail came as one, and one ``index.csv`` row
per message file. Streamed in pages of messages (constant memory); files already present with
the archived SHA-256 are kept without reading the vault."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from typing import Any

from kustos.archive.exit_export.files import ExportDir
from kustos.archive.exit_export.places import Places
from kustos.archive.models import Message
from kustos.lifecycle.services.proposals import held_ids
from kustos.tenants.models import Customer
from kustos.vault.errors import IntegrityError, NotFound

INDEX = "index.csv"
PAGE = 500
MAX_LISTED = 1000  # problems named (the export goes on; the README lists them)
COLUMNS = ["path", "mailbox", "folder", "date", "from", "to", "subject", "message_id", "sha256", "size",
           "archived_at", "retention_end", "legal_hold", "archive_id", "restricted", "original_path"]


def pages(customer: Customer, page: int = PAGE) -> Iterator[list[Message]]:
    """Every message of ``customer`` in archive order, a page at a time (keyset on seq)."""
    after = -1
    while True:
        rows = list(Message.objects.filter(customer=customer, seq__gt=after).order_by("seq")[:page])
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


class MailPass:
    def __init__(self, customer: Customer, out: ExportDir, places: Places, read: Callable[[str], bytes],
                 progress: Callable[[int], None] | None = None):
        self.customer, self.out, self.places, self.read, self.progress = customer, out, places, read, progress
        self.messages = 0
        self.files = 0
        self.problems: list[str] = []
        self.damaged = 0

    def _problem(self, text: str) -> None:
        self.damaged += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(text)

    def _message(self, m: Message, places: list[tuple[str, str, str]]) -> tuple[str, str] | None:
        """Write the message's files; returns (SHA-256 of the bytes written, original's path or ""),
        None when the vault cannot give its bytes (named in the problems; the export goes on)."""
        present = [self.out.present(rel, m.sha256, m.size) for rel, _, _ in places]
        digest = m.sha256
        raw: bytes | None = None
        if not all(present):
            try:
                raw = self.read(m.vault_id)
            except (IntegrityError, NotFound) as exc:  # damaged or lost; transient errors fail the run (retried)
                self._problem(f"{m.id}: cannot be read from the vault ({exc})")
                return None
            actual = hashlib.sha256(raw).hexdigest()
            if actual != m.sha256:
                self._problem(f"{m.id}: the stored bytes do not have the SHA-256 recorded at archiving")
                digest = actual
        for (rel, _, _), ok in zip(places, present, strict=True):
            if ok:
                self.out.keep(rel, digest)
            else:
                assert raw is not None
                self.out.put(rel, raw, digest, check=False)
        original = ""
        if m.original_vault_id:
            try:
                data = self.read(m.original_vault_id)
            except (IntegrityError, NotFound) as exc:  # damaged or lost; transient errors fail the run (retried)
                self._problem(f"{m.id}: its original .{m.original_kind or 'bin'} cannot be read from the vault ({exc})")
            else:
                original = Places.original_path(places[0][0], m)
                self.out.put(original, data)
        return digest, original

    def rows(self) -> Iterator[bytes]:
        """The bytes of ``index.csv``; writing the message files as it goes."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        yield b"\xef\xbb\xbf" + buf.getvalue().encode()
        for page in pages(self.customer):
            ids = [m.id for m in page]
            refs = self.places.refs(ids)
            held = held_ids(self.customer, ids)
            buf.seek(0)
            buf.truncate()
            for m in page:
                places = self.places.paths(m, refs.get(m.id, []))
                written = self._message(m, places)
                self.messages += 1
                if written is None:
                    continue
                digest, original = written
                for rel, box, folder in places:
                    writer.writerow([rel, box, folder, _iso(m.date), m.from_addr, ", ".join(m.to_addrs or []),
                                     m.subject, m.message_id, digest, m.size, _iso(m.archived_at),
                                     _iso(m.retention_end), "yes" if m.id in held else "no", m.id,
                                     "yes" if m.restricted else "no", original])
                    self.files += 1
            if self.progress:
                self.progress(len(page))
            yield buf.getvalue().encode()
