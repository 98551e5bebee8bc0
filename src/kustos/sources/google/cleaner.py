"""Mailbox cleanup for Gmail: delete (or trash) archived messages at the server.

``build_mailbox_cleaner(settings, secret, egress)`` (the gmail kind's hook) returns a
:class:`GmailMailboxCleaner` on the Workspace connection's session (service account, domain-wide
delegation, egress checks); Google's 429 and 403 ``rateLimitExceeded``/``userRateLimitExceeded``
answers are waited out by its HTTP client (``Retry-After``, else backoff), as for the mailbox writer.

Per item (``source_ref`` = ``<user e-mail>#<message id>``; Gmail message ids never change, labels do):

1. confirm: ``messages.get`` with ``format=metadata`` and ``metadataHeaders=Message-ID``. 404: kept,
   "gone on the server". When the archived message has a Message-ID, the server's header must be the
   same; else kept, "Message-ID differs". Trashing a message already labelled ``TRASH``: kept,
   "already in the trash" (the archive reads the trash too).
2. ``to_trash`` → ``messages.trash`` (label ``TRASH``; Gmail empties the trash after 30 days), else
   ``messages.delete`` (immediate and permanent).
3. ``freed_bytes``: the message's ``sizeEstimate``.

Scopes asked through delegation: ``gmail.modify`` for a trashing run, ``https://mail.google.com/``
for a deleting one (``messages.delete`` accepts nothing else); one token per user and run.
A dry run does step 1 only. Another answer for one item keeps it with the HTTP status as reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from kustos.sources.cleanup import CleanupItem, CleanupOutcome
from kustos.sources.egress import EgressPolicy
from kustos.sources.google import session_for
from kustos.sources.google.session import GoogleSession, error_reasons
from kustos.sources.http import bounded_map

MODIFY = "https://www.googleapis.com/auth/gmail.modify"  # messages.get, messages.trash
FULL = "https://mail.google.com/"  # messages.delete requires this scope
GONE = "gone on the server"
CHANGED = "Message-ID differs"
IN_TRASH = "already in the trash"


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def _header(body: Mapping[str, Any], name: str) -> str | None:
    for header in (body.get("payload") or {}).get("headers") or []:
        if str(header.get("name", "")).lower() == name.lower():
            return str(header.get("value") or "")
    return None


class GmailMailboxCleaner:
    def __init__(self, session: GoogleSession) -> None:
        self.session = session
        self.http = session.http

    def close(self) -> None:
        self.session.close()

    def delete(self, items: Sequence[CleanupItem], *, to_trash: bool, dry_run: bool) -> list[CleanupOutcome]:
        scope = MODIFY if to_trash else FULL
        # In parallel up to the per-user bound of the session's HTTP client.
        return bounded_map(lambda item: self._one(item, scope, to_trash=to_trash, dry_run=dry_run), items,
                           self.session.max_concurrency)

    def _send(self, method: str, item: CleanupItem, scope: str, tail: str = "",
              params: Mapping[str, Any] | None = None) -> httpx.Response:
        url = (f"{self.session.gmail}/users/{quote(item.scope_id, safe='@')}/messages/"
               f"{quote(item.item_id, safe='')}{tail}")
        return self.http.request(method, url, key=item.scope_id, params=params,
                                 token=self.session.tokens.for_user(item.scope_id, scope))

    def _one(self, item: CleanupItem, scope: str, *, to_trash: bool, dry_run: bool) -> CleanupOutcome:
        found = self._send("GET", item, scope, params={"format": "metadata", "metadataHeaders": "Message-ID"})
        if found.status_code == 404:
            return CleanupOutcome(item.ref, False, reason=GONE)
        if found.status_code != 200:
            return CleanupOutcome(item.ref, False, reason=_refused(found))
        body = found.json()
        if item.message_id and _bare(_header(body, "Message-ID") or "") != _bare(item.message_id):
            return CleanupOutcome(item.ref, False, reason=CHANGED)
        if to_trash and "TRASH" in (body.get("labelIds") or []):
            return CleanupOutcome(item.ref, False, reason=IN_TRASH)
        freed = int(body.get("sizeEstimate") or 0)
        if dry_run:
            return CleanupOutcome(item.ref, True, freed_bytes=freed)
        if to_trash:
            response = self._send("POST", item, scope, "/trash")
        else:
            response = self._send("DELETE", item, scope)
        if response.status_code == 404:
            return CleanupOutcome(item.ref, False, reason=GONE)
        if response.status_code not in (200, 204):
            return CleanupOutcome(item.ref, False, reason=_refused(response))
        return CleanupOutcome(item.ref, True, freed_bytes=freed)


def _refused(response: httpx.Response) -> str:
    reasons = sorted(error_reasons(response))
    return f"Gmail answered HTTP {response.status_code}" + (f" ({', '.join(reasons)})" if reasons else "")


def build_mailbox_cleaner(settings: Mapping[str, Any], secret: str,
                          egress: EgressPolicy | None) -> GmailMailboxCleaner:
    return GmailMailboxCleaner(session_for(settings, secret, egress))
