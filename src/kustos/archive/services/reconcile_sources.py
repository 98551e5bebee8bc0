"""Per source and scope: items the source delivered (its cursors) against what was archived.

Stored figures (no connection): a scope's cursor that lists the delivered item ids (IMAP ``uids``,
POP3 ``seen``) is compared with the MessageRefs carrying that source and scope; more ids
committed than archived is a gap (a cursor must never move past an item that is not durable).
With ``live`` the source is asked, where that is cheap: for IMAP each folder's UIDs (one
``UID SEARCH ALL`` per folder), for POP3 the UIDL listing — items at the server that no cursor
holds are ``pending`` (the next run fetches them). Identical bytes delivered twice into one folder are one archived item,
so such a folder shows one more delivered than archived.
"""

from __future__ import annotations

import poplib
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from imapclient.exceptions import IMAPClientError

from kustos.archive.models import MessageRef, Source
from kustos.sources.base import ConnectorError
from kustos.sources.imap import ImapConnector
from kustos.sources.imap.connection import session
from kustos.sources.imap.uidset import UidSetInvalid, decode_uids
from kustos.sources.pop3 import Pop3Connector, parse_uidl


@dataclass
class ScopeLine:
    scope: str
    delivered: int | None  # item ids the cursor holds (None: the cursor does not list them)
    archived: int  # distinct archived items (source references) of this scope
    at_source: int | None = None  # live: items the source holds now
    not_archived: int | None = None  # live: items at the source that no cursor holds

    @property
    def verdict(self) -> str:
        if self.delivered is not None and self.delivered > self.archived:
            return "gap"
        if self.not_archived:
            return "pending"
        return "ok"

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "delivered": self.delivered, "archived": self.archived,
                "at_source": self.at_source, "not_archived": self.not_archived, "verdict": self.verdict}


@dataclass
class SourceLine:
    id: str
    name: str
    kind: str
    items_archived: int  # the source's own counter of newly archived messages
    archived: int  # distinct messages with a reference from this source
    last_run_at: str | None
    last_error: str
    scopes: list[ScopeLine] = field(default_factory=list)
    live_error: str = ""

    @property
    def verdict(self) -> str:
        verdicts = {s.verdict for s in self.scopes}
        return "gap" if "gap" in verdicts else "pending" if "pending" in verdicts else "ok"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "items_archived": self.items_archived,
                "archived": self.archived, "last_run_at": self.last_run_at, "last_error": self.last_error,
                "live_error": self.live_error, "scopes": [s.as_dict() for s in self.scopes],
                "verdict": self.verdict}


def _delivered(cursor: Any) -> set[Any] | None:
    """The item ids a cursor says were delivered: IMAP ``uids``, POP3 ``seen`` UIDLs; else None."""
    if not isinstance(cursor, dict):
        return None
    if "uids" in cursor:
        try:
            return set(decode_uids(str(cursor.get("uids") or "")))
        except UidSetInvalid:
            return None
    if "seen" in cursor:
        seen, reset = Pop3Connector._load(cursor)
        return None if reset else set(seen)
    return None


def _archived_per_scope(source: Source, scope_ids: list[str]) -> dict[str, int]:
    """Distinct source references ``<scope>#<item>`` per scope (the longest matching scope id wins)."""
    refs = (MessageRef.objects.filter(source=f"{source.kind}:{source.id}").values_list("source_ref", flat=True)
            .distinct())
    prefixes = sorted(scope_ids, key=len, reverse=True)
    counts: dict[str, int] = {}
    for ref in refs.iterator():
        scope = next((p for p in prefixes if ref.startswith(f"{p}#")), "")
        counts[scope] = counts.get(scope, 0) + 1
    return counts


def _live_imap(connector: ImapConnector, source: Source, lines: dict[str, ScopeLine]) -> None:
    """Each folder's UIDs at the server against the UIDs the folder's cursor holds."""
    scopes = list(connector.scopes())
    with session(connector.settings) as client:
        for scope in scopes:
            status = client.select_folder(scope.id, readonly=True)
            uids = set(client.search("ALL"))
            cursor = source.cursors.get(scope.id)
            known = _delivered(cursor) or set()
            if not isinstance(cursor, dict) or int(cursor.get("uidvalidity", -1)) != int(status[b"UIDVALIDITY"]):
                known = set()  # a new folder, or UIDVALIDITY changed: the next run fetches it all again
            line = lines.setdefault(scope.id, ScopeLine(scope=scope.id, delivered=None, archived=0))
            line.at_source = len(uids)
            line.not_archived = len(uids - known)


def _live_pop3(connector: Pop3Connector, source: Source, lines: dict[str, ScopeLine]) -> None:
    """The mailbox's UIDLs at the server against the UIDLs the cursor holds."""
    [scope] = list(connector.scopes())
    with connector._session() as client:
        current = set(parse_uidl(client.uidl()[1]).values())
    known = _delivered(source.cursors.get(scope.id)) or set()
    line = lines.setdefault(scope.id, ScopeLine(scope=scope.id, delivered=None, archived=0))
    line.at_source = len(current)
    line.not_archived = len(current - known)


def source_lines(customer: Any, *, live: bool, connector_for: Any = None) -> list[SourceLine]:
    """One line per archive source of the customer; ``connector_for(source)`` builds the live connector."""
    result = []
    sources = Source.objects.filter(customer=customer).order_by("created_at")
    archived = dict(MessageRef.objects.filter(message__customer=customer, source__in=[f"{s.kind}:{s.id}" for s in sources])
                    .values_list("source").annotate(n=Count("message", distinct=True)))
    for source in sources:
        per_scope = _archived_per_scope(source, list(source.cursors))
        lines: dict[str, ScopeLine] = {}
        for scope_id, cursor in sorted(source.cursors.items()):
            known = _delivered(cursor)
            lines[scope_id] = ScopeLine(scope=scope_id, delivered=None if known is None else len(known),
                                        archived=per_scope.get(scope_id, 0))
        line = SourceLine(id=source.id, name=source.name, kind=source.kind, items_archived=source.items_archived,
                          archived=archived.get(f"{source.kind}:{source.id}", 0),
                          last_run_at=source.last_run_at.isoformat() if source.last_run_at else None,
                          last_error=source.last_error)
        if live and connector_for is not None:
            try:
                connector = connector_for(source)
                if isinstance(connector, ImapConnector):
                    _live_imap(connector, source, lines)
                elif isinstance(connector, Pop3Connector):
                    _live_pop3(connector, source, lines)
                else:
                    line.live_error = "no live count for this kind of source"
            except (ConnectorError, IMAPClientError, poplib.error_proto, OSError, ValueError, KeyError) as exc:
                line.live_error = str(exc) or type(exc).__name__
        line.scopes = [lines[k] for k in sorted(lines)]
        result.append(line)
    return result
