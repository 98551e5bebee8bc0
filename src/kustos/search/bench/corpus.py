"""Turn raw bulk-corpus messages into search Documents, cheaply (benchmark use only).

The real pipeline uses kustos.mail; this stays on the standard library (compat32 parser)
so the search benchmark measures indexing and querying, not extraction.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from kustos.search.document import Document

_TAG = re.compile(r"<[^>]+>")
_PARSER = BytesParser(policy=policy.compat32)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def raw_messages(
    corpus: Path, limit: int | None = None, per_archive: int | None = None
) -> Iterator[tuple[str, bytes]]:
    """(member name, raw bytes) of the messages in ``email/bulk/*/*.tar.xz``, in a fixed order:
    at most ``limit`` in all and ``per_archive`` from each archive."""
    count = 0
    for archive in sorted((corpus / "email" / "bulk").glob("*/*.tar.xz")):
        taken = 0
        with tarfile.open(archive, "r:xz") as tar:
            for member in tar:
                if per_archive is not None and taken >= per_archive:
                    break
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is None:
                    continue
                yield member.name, handle.read()
                count += 1
                taken += 1
                if limit is not None and count >= limit:
                    return


def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:  # broken RFC 2047 words: keep the raw text, as the real pipeline does
        return str(value)


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def to_document(customer: str, mailbox: str, name: str, raw: bytes, seq: int) -> Document:
    msg = _PARSER.parsebytes(raw)
    body: list[str] = []
    names: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename:
            names.append(filename)
        elif part.get_content_type() == "text/plain":
            body.append(_text(part))
        elif part.get_content_type() == "text/html" and not body:
            body.append(_TAG.sub(" ", _text(part)))
    try:
        date = parsedate_to_datetime(msg.get("Date", ""))
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        date = _EPOCH
    sender = getaddresses([_header(msg, "From")])
    from_addr = [a.lower() for _, a in sender if a]
    folder = name.split("/")[1] if name.count("/") >= 2 else "INBOX"
    return Document(
        id=hashlib.sha256(raw).hexdigest()[:32], customer=customer, date=date,
        mailboxes=[mailbox], folders=[f"{mailbox}/{folder}"],
        from_=_header(msg, "From"), from_addr=from_addr,
        to=[_header(msg, "To")], cc=[_header(msg, "Cc")] if msg.get("Cc") else [],
        subject=_header(msg, "Subject"), body="\n".join(body), attachment_names=names,
        size=len(raw), has_attachment=bool(names),
        sender_domain=from_addr[0].rpartition("@")[2] if from_addr else "",
        message_id=_header(msg, "Message-ID"), sha256=hashlib.sha256(raw).hexdigest(), seq=seq,
    )
