"""The mailbox's own facts about a message, in one spelling for every mail kind.

Connectors put them into ``Item.meta``: ``received_at`` (ISO-8601 with offset: IMAP INTERNALDATE,
Graph ``receivedDateTime``, Gmail ``internalDate``) and ``flags`` (IMAP spelling: ``\\Seen``,
``\\Flagged``, ``\\Answered``, ``\\Draft``, keywords such as ``$Forwarded``). The archive keeps
them on the message reference and a restore hands them back to the mailbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

SEEN, FLAGGED, ANSWERED, DRAFT = "\\Seen", "\\Flagged", "\\Answered", "\\Draft"
# Session-only or server-internal flags a mailbox never keeps for a message.
TRANSIENT = frozenset({"\\recent", "\\*"})


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 with offset (a naive time is taken as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def parse(value: Any) -> datetime | None:
    """A ``received_at`` value back as an aware datetime; None for missing or unreadable input."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def clean_flags(flags: Iterable[Any] | Any) -> list[str]:
    """IMAP flags as text, without session flags, first spelling of each kept (case-insensitive);
    anything but a list, tuple or set of flags gives none."""
    if not isinstance(flags, list | tuple | set | frozenset):
        return []
    out: list[str] = []
    seen: set[str] = set()
    for flag in flags:
        text = flag.decode("ascii", "replace") if isinstance(flag, bytes) else str(flag)
        text = text.strip()
        if not text or " " in text or text.lower() in TRANSIENT or text.lower() in seen:
            continue
        seen.add(text.lower())
        out.append(text)
    return out


def graph_facts(row: Mapping[str, Any]) -> dict[str, Any]:
    """``received_at`` and ``flags`` of a Graph message resource."""
    flags = []
    if row.get("isRead"):
        flags.append(SEEN)
    if str((row.get("flag") or {}).get("flagStatus") or "").lower() == "flagged":
        flags.append(FLAGGED)
    if row.get("isDraft"):
        flags.append(DRAFT)
    return {"received_at": iso(parse(row.get("receivedDateTime"))), "flags": flags}


def gmail_facts(internal_date: Any, label_ids: Iterable[str]) -> dict[str, Any]:
    """``received_at`` (from ``internalDate``, ms since the epoch) and ``flags`` of a Gmail message."""
    labels = set(label_ids)
    flags = []
    if "UNREAD" not in labels:
        flags.append(SEEN)
    if "STARRED" in labels:
        flags.append(FLAGGED)
    if "DRAFT" in labels:
        flags.append(DRAFT)
    received = None
    try:
        received = datetime.fromtimestamp(int(str(internal_date)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    return {"received_at": iso(received), "flags": flags}


def gmail_internal_date(moment: datetime) -> str:
    """A receive time as Gmail's ``internalDate`` (ms since the epoch, as text)."""
    return str(int(round(moment.timestamp() * 1000)))
