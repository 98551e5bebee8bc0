"""What the search index holds for one archived message in one customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# Dates tantivy can hold (about 1677..2262); mail carries any date at all, and both
# backends must file a message under the same year.
_MIN_DATE = datetime(1678, 1, 1, tzinfo=UTC)
_MAX_DATE = datetime(2261, 12, 31, tzinfo=UTC)


def index_date(value: datetime) -> datetime:
    """``value`` in UTC, clamped to the range every backend can index."""
    return min(max(value.astimezone(UTC), _MIN_DATE), _MAX_DATE)


class InvalidDocument(ValueError):
    """A Document violates its contract; the message names the field."""


@dataclass
class Document:
    """One archived message of one customer, as the search backends index it.

    Contract: ``id`` is the immutable archive id (unique within the customer);
    ``mailboxes`` are lower-case addresses the message belongs to (a deduplicated message
    can be in several); each entry of ``folders`` starts with one of the mailboxes followed
    by ``/`` and the original folder path (e.g. ``"alice@x.de/INBOX/Sub"``); ``date`` is
    timezone-aware. Re-adding a document with the same id replaces the old one, so callers
    merging mailboxes/folders pass the complete merged lists.
    """

    id: str
    customer: str
    date: datetime
    mailboxes: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    from_: str = ""
    from_addr: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    attachment_names: list[str] = field(default_factory=list)
    attachment_text: str = ""
    size: int = 0
    has_attachment: bool = False
    sender_domain: str = ""
    message_id: str = ""
    sha256: str = ""
    seq: int = 0
    restricted: bool = False
    tax_relevant: bool = False

    def validate(self) -> None:
        """Raise InvalidDocument when the contract above is violated."""
        if not self.id:
            raise InvalidDocument("document id is empty")
        if not self.customer:
            raise InvalidDocument(f"document {self.id}: customer is empty")
        if self.date.tzinfo is None or self.date.utcoffset() is None:
            raise InvalidDocument(f"document {self.id}: date must be timezone-aware")
        if self.size < 0:
            raise InvalidDocument(f"document {self.id}: size is negative")

    @property
    def from_text(self) -> str:
        """Everything searched by ``from:``: the display form and the bare addresses."""
        return " ".join([self.from_, *self.from_addr])

    def field_texts(self) -> dict[str, str]:
        """The text of each full-text field (query field name -> text), as both backends index it."""
        return {
            "from": self.from_text,
            "to": "\n".join(self.to),
            "cc": "\n".join(self.cc),
            "bcc": "\n".join(self.bcc),
            "subject": self.subject,
            "body": self.body,
            "attachment": "\n".join([*self.attachment_names, self.attachment_text]),
        }

    @property
    def mailbox_keys(self) -> list[str]:
        """Folded, de-duplicated mailbox addresses."""
        return sorted({m.strip().lower() for m in self.mailboxes if m.strip()})
