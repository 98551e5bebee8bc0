"""Which messages of a customer concern a data subject (GDPR Art. 15/17/18).

A message concerns ``address`` when the address is its sender, a recipient (To, Cc, Bcc),
named in another header (Sender, Reply-To, ...), in the envelope of any of its arrivals
(journaling: envelope sender and recipients, BCC included) or in its text or an attachment's
text. Candidates come from the search index (``from:``/``to:``/``cc:``/``bcc:`` phrases and the
address as a phrase anywhere, restricted messages included) and from the envelope data of
``MessageRef``; each candidate is then confirmed against the exact address in its stored header
block, envelopes and decoded text, so ``x.anna@example.org`` never counts for
``anna@example.org``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.core.exceptions import ValidationError
from django.db.models import Q

from kustos.archive.models import Message, MessageRef
from kustos.archive.services import messages as message_service
from kustos.lifecycle.services.holds_select import chunks, matching_ids
from kustos.tenants.models import Customer

_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
MAX_ADDRESS = 320
#: Headers whose roles the report names; any other header mentioning the address is "header".
ROLE_HEADERS = ("from", "sender", "reply-to", "to", "cc", "bcc")


def clean_subject(address: str) -> str:
    """The data subject's address, lower-case; anything else is refused with a one-line reason."""
    value = (address or "").strip().lower()
    if not value:
        raise ValidationError("the subject's e-mail address is empty")
    if len(value) > MAX_ADDRESS or not _ADDRESS.match(value):
        raise ValidationError(f"{address.strip()[:100]!r} is not an e-mail address")
    return value


def subject_query(address: str) -> str:
    """Address fields, and the address as a phrase anywhere (other headers are not indexed apart,
    the text of the message is)."""
    return " OR ".join([*(f'{f}:"{address}"' for f in ("from", "to", "cc", "bcc")), f'"{address}"'])


@dataclass
class Concern:
    """How one message concerns the subject."""

    message: Message
    roles: list[str] = field(default_factory=list)  # from, to, cc, bcc, sender, reply-to, header, envelope-*
    sources: list[str] = field(default_factory=list)  # where it came from: import, smtp, imap:<id>, ...
    places: list[str] = field(default_factory=list)  # mailbox/folder of every arrival


def _pattern(address: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z0-9._%+=-])" + re.escape(address) + r"(?![A-Za-z0-9_%+-]|\.[A-Za-z0-9])",
                      re.IGNORECASE)


def _header_roles(raw: bytes, pattern: re.Pattern[str]) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    headers = BytesHeaderParser(policy=compat32).parsebytes(head + b"\n\n")
    roles: list[str] = []
    for name, value in headers.items():
        if pattern.search(str(value)):
            role = name.lower() if name.lower() in ROLE_HEADERS else "header"
            if role not in roles:
                roles.append(role)
    return roles


def _in_text(msg: Message, pattern: re.Pattern[str]) -> bool:
    """Whether the message's text or an attachment's text names the address (decoded, as indexed)."""
    parsed = message_service.parsed(msg)
    texts = [getattr(parsed, "body_text", "") or ""]
    texts += [getattr(a, "text", "") or "" for a in getattr(parsed, "attachments", []) or []]
    return any(pattern.search(t) for t in texts)


def find(customer: Customer, address: str) -> list[Concern]:
    """Every message of ``customer`` concerning ``address`` (already cleaned), oldest first."""
    candidates = set(matching_ids(customer.id, subject_query(address)))
    candidates.update(MessageRef.objects.filter(message__customer=customer)
                      .filter(Q(envelope_from__iexact=address) | Q(envelope_to__icontains=address))
                      .values_list("message_id", flat=True))
    return concerns(customer, address, candidates)


def concerns(customer: Customer, address: str, ids: Iterable[str]) -> list[Concern]:
    """How each of the messages ``ids`` concerns ``address`` (those that do not are left out)."""
    wanted = list(ids)
    pattern = _pattern(address)
    refs: dict[str, list[MessageRef]] = {}
    rows: list[Message] = []
    for chunk in chunks(wanted):
        for ref in MessageRef.objects.filter(message_id__in=chunk).select_related("mailbox", "folder").order_by("id"):
            refs.setdefault(ref.message_id, []).append(ref)
        rows += Message.objects.filter(customer=customer, id__in=chunk).select_related("customer")
    found = []
    for msg in sorted(rows, key=lambda m: m.seq):
        roles = _header_roles(message_service.raw(msg), pattern)
        sources: list[str] = []
        places: list[str] = []
        for ref in refs.get(msg.id, []):
            if ref.envelope_from.strip().lower() == address and "envelope-from" not in roles:
                roles.append("envelope-from")
            if address in {str(a).strip().lower() for a in ref.envelope_to or []} and "envelope-to" not in roles:
                roles.append("envelope-to")
            if ref.source not in sources:
                sources.append(ref.source)
            places.append(f"{ref.mailbox.address}/{ref.folder.path}")
        if not roles and _in_text(msg, pattern):
            roles.append("text")
        if roles:
            found.append(Concern(msg, roles, sources, places))
    return found
