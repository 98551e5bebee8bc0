"""Result types of :func:`kustos.mail.parse` (plain dataclasses, no behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

Address = tuple[str, str]  # (display name, addr-spec); either may be ""


@dataclass(frozen=True)
class SkippedMember:
    """A member of a container attachment whose text was not indexed, and why.

    ``name`` is the member's path inside the attachment ("docs/a.pdf",
    "inner.zip/b.txt"); ``count`` > 1 stands for that many further members skipped
    for the same reason (only a bounded number are listed one by one)."""

    name: str
    reason: str
    count: int = 1


def skipped_summary(skipped: list[SkippedMember], shown: int = 5) -> str:
    """One line for people: "3 members not indexed: secret.pdf (encrypted), ..."."""
    total = sum(s.count for s in skipped)
    listed = [f"{s.name} ({s.reason})" for s in skipped[:shown]]
    more = total - sum(s.count for s in skipped[:shown])
    tail = f", and {more} more" if more > 0 else ""
    return f"{total} member{'s' if total != 1 else ''} not indexed: {', '.join(listed)}{tail}"


@dataclass
class Attachment:
    """One non-body MIME part.

    ``part_path`` is the IMAP-style section number ("1", "2.1", ...) that
    :func:`kustos.mail.get_part` accepts to fetch the decoded bytes again.
    ``text`` is the extracted text (possibly truncated, possibly ""); when extraction
    failed or was skipped, ``extract_error`` says why. ``members`` lists names found
    inside a container (ZIP members, TNEF attachments, nested-message attachments);
    ``skipped`` those members whose text was not indexed, each with the reason
    (encrypted, too big, ratio bomb, nested too deep, unsupported type, member
    limit, ...). When members were skipped and the attachment itself did not fail,
    ``extract_error`` carries the :func:`skipped_summary` line.
    """

    filename: str
    content_type: str
    size: int
    part_path: str
    content_id: str = ""
    inline: bool = False
    text: str = ""
    extract_error: str = ""
    members: list[str] = field(default_factory=list)
    skipped: list[SkippedMember] = field(default_factory=list)


@dataclass
class ParsedMessage:
    """Everything :func:`kustos.mail.parse` could read from one raw message.

    ``parse_error`` is "" for a message that parsed, otherwise a short reason; the
    other fields then hold whatever could still be read. ``defects`` lists MIME
    defects the parser tolerated (class names, de-duplicated, order kept).
    """

    size: int = 0
    from_: list[Address] = field(default_factory=list)
    sender: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    date: datetime | None = None
    date_raw: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    subject: str = ""
    list_id: str = ""
    list_headers: dict[str, str] = field(default_factory=dict)
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = ""
    body_text: str = ""
    body_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    has_attachment: bool = False
    sender_domain: str = ""
    parse_error: str = ""
    defects: list[str] = field(default_factory=list)

    def attachment_text(self) -> str:
        """All extracted attachment text, one block per attachment (for indexing)."""
        return "\n".join(a.text for a in self.attachments if a.text)
