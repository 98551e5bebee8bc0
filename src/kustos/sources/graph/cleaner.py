"""Mailbox cleanup for Microsoft 365 through Graph: delete archived messages at the server.

``build_mailbox_cleaner(settings, secret, egress)`` (the graph kind's hook) returns a
:class:`GraphMailboxCleaner` on a :class:`GraphSession`: the archiving connection's credentials,
token, tenant-wide throttle and egress checks; 429/503 answers are waited out after their
``Retry-After`` by the shared HTTP client.

Per item (``source_ref`` = ``<user id>#<message id>``, the ids the connector archived with; they are
Graph's default ids, not immutable ids, so a message moved since has a new id and its old one is
"gone"):

1. confirm: ``GET /users/{user}/messages/{id}?$select=id,internetMessageId`` with
   ``$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')`` (PR_MESSAGE_SIZE). A 404
   in the primary mailbox is looked up in the user's In-Place Archive (``settings/exchange`` →
   ``inPlaceArchiveMailboxId``, read under ``/beta``; a 308 into an auxiliary archive is followed to
   the Graph host only): the archive and Recoverable Items follow the same rules. Still 404: kept,
   "gone on the server". The message's ``internetMessageId`` must equal the archived Message-ID when
   the archived message has one; else kept, "Message-ID differs". A message already where the action
   would put it (Deleted Items; Recoverable Items/Purges) is kept, "already in Deleted Items" /
   "already purged": moving it again would only give it another id.
2. delete where it was found: ``to_trash`` → ``POST .../move {"destinationId": "deleteditems"}``
   (Deleted Items; the user can still restore it), else ``POST .../permanentDelete`` (into the
   Recoverable Items Purges folder, out of reach of mail clients and off the mailbox quota). Plain
   ``DELETE`` is not used: Exchange answers it by moving to Deleted Items, neither of the two.
3. ``freed_bytes``: the server's PR_MESSAGE_SIZE; when Graph returns none (an item without the
   property), the archived size instead (the same bytes, as the MIME Graph handed out at ingest).

A Microsoft 365 group's conversation posts (scope ``group:<id>``) are kept: Graph deletes a group's
conversations only as whole threads, never one post. A dry run does step 1 only. An answer other than 200/404 for one item keeps that item with the
HTTP status as reason; a failure of the connection (sign-in, throttling past the retry budget)
raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from kustos.sources.cleanup import CleanupItem, CleanupOutcome
from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.backup.session import GraphSession
from kustos.sources.graph.groups import GROUP_PREFIX
from kustos.sources.graph.mailstores import archive_mailbox_id
from kustos.sources.http import bounded_map

log = logging.getLogger(__name__)

GRAPH = "https://graph.microsoft.com"
LOGIN = "https://login.microsoftonline.com"
MESSAGE_SIZE = "Integer 0x0E08"  # PR_MESSAGE_SIZE (PidTagMessageSize)
CONFIRM_QUERY = (f"?$select=id,internetMessageId,parentFolderId"
                 f"&$expand=singleValueExtendedProperties($filter=id eq '{MESSAGE_SIZE}')")
GONE = "gone on the server"
CHANGED = "Message-ID differs"
IN_TRASH = "already in Deleted Items"
PURGED = "already purged"
GROUP_POST = "group conversation post (Graph deletes only whole threads)"
# Where each action puts a message: one already there is kept (moving it again would give it yet another
# id, archived anew by the next source run and "freed" once more by the next cleanup).
DESTINATION = {True: ("deleteditems", IN_TRASH), False: ("recoverableitemspurges", PURGED)}


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def _server_size(body: Mapping[str, Any]) -> int | None:
    for prop in body.get("singleValueExtendedProperties") or []:
        prop_id = " ".join(str(prop.get("id", "")).split()).lower()
        if prop_id in ("integer 0xe08", "integer 0x0e08"):
            try:
                return int(str(prop.get("value")))
            except ValueError:
                return None
    return None


class GraphMailboxCleaner:
    def __init__(self, session: GraphSession) -> None:
        self.session = session
        self.http = session.http
        self.follow = session.follow
        self._archives: dict[str, str | None] = {}  # user id -> MBX: id of the In-Place Archive (None: none)
        self._folders: dict[tuple[str, str], str] = {}  # (mailbox URL, well-known name) -> folder id

    def close(self) -> None:
        self.session.close()

    def delete(self, items: Sequence[CleanupItem], *, to_trash: bool, dry_run: bool) -> list[CleanupOutcome]:
        # In parallel up to the per-mailbox limit the session's throttle enforces (Exchange: 4).
        return bounded_map(lambda item: self._one(item, to_trash=to_trash, dry_run=dry_run), items,
                           self.session.max_concurrency)

    # --- one item ---------------------------------------------------------------------
    def _one(self, item: CleanupItem, *, to_trash: bool, dry_run: bool) -> CleanupOutcome:
        if item.scope_id.startswith(GROUP_PREFIX):
            return CleanupOutcome(item.ref, False, reason=GROUP_POST)
        found = self._find(item)
        if isinstance(found, CleanupOutcome):
            return found
        url, body = found
        if item.message_id and _bare(str(body.get("internetMessageId") or "")) != _bare(item.message_id):
            return CleanupOutcome(item.ref, False, reason=CHANGED)
        well_known, already = DESTINATION[to_trash]
        if body.get("parentFolderId") and body.get("parentFolderId") == self._folder(url, well_known, item.scope_id):
            return CleanupOutcome(item.ref, False, reason=already)
        size = _server_size(body)
        freed = size if size is not None else item.size  # Graph gave no PR_MESSAGE_SIZE: the archived size
        if dry_run:
            return CleanupOutcome(item.ref, True, freed_bytes=freed)
        if to_trash:
            response = self.http.request("POST", f"{url}/move", key=item.scope_id,
                                         content=b'{"destinationId": "deleteditems"}',
                                         headers={"Content-Type": "application/json"})
            done = (200, 201)
        else:
            response = self.http.request("POST", f"{url}/permanentDelete", key=item.scope_id)
            done = (200, 204)
        if response.status_code == 404:
            return CleanupOutcome(item.ref, False, reason=GONE)
        if response.status_code not in done:
            return CleanupOutcome(item.ref, False, reason=self._refused(response))
        return CleanupOutcome(item.ref, True, freed_bytes=freed)

    def _find(self, item: CleanupItem) -> tuple[str, Mapping[str, Any]] | CleanupOutcome:
        """(the message's URL where it lives, its JSON), or the outcome of an item kept."""
        message = f"/messages/{quote(item.item_id, safe='')}"
        primary = self.session.user_url(item.scope_id, message)
        response = self.follow.request("GET", primary + CONFIRM_QUERY, key=item.scope_id)
        if response.status_code in (400, 404):  # not in the primary mailbox (an archive item's id may be a 400)
            archive = self._archive(item.scope_id)
            if archive is None:
                return CleanupOutcome(item.ref, False,
                                      reason=GONE if response.status_code == 404 else self._refused(response))
            url = f"{self.session.beta}/users/{quote(archive, safe='')}{message}"
            response = self.follow.request("GET", url + CONFIRM_QUERY, key=item.scope_id)
            if response.status_code == 404:
                return CleanupOutcome(item.ref, False, reason=GONE)
        if response.status_code != 200:
            return CleanupOutcome(item.ref, False, reason=self._refused(response))
        # Act where the message was found (after redirects: in an auxiliary archive).
        final = urlsplit(str(response.url))
        return urlunsplit((final.scheme, final.netloc, final.path, "", "")), response.json()

    def _folder(self, message_url: str, well_known: str, key: str) -> str:
        """The id of a well-known folder of the mailbox holding ``message_url`` ("" when it has none)."""
        mailbox = message_url.rsplit("/messages/", 1)[0]
        if (mailbox, well_known) not in self._folders:
            response = self.follow.request("GET", f"{mailbox}/mailFolders/{well_known}?$select=id", key=key)
            self._folders[(mailbox, well_known)] = (str(self.follow.expect(response).json().get("id") or "")
                                                    if response.status_code != 404 else "")
        return self._folders[(mailbox, well_known)]

    def _archive(self, user_id: str) -> str | None:
        if user_id not in self._archives:
            self._archives[user_id] = archive_mailbox_id(self.follow, self.session.beta, user_id)
        return self._archives[user_id]

    @staticmethod
    def _refused(response: httpx.Response) -> str:
        try:
            code = str((response.json().get("error") or {}).get("code") or "")
        except (ValueError, AttributeError):
            code = ""
        return f"Graph answered HTTP {response.status_code}" + (f" ({code})" if code else "")


def build_mailbox_cleaner(settings: Mapping[str, Any], secret: str,
                          egress: EgressPolicy | None) -> GraphMailboxCleaner:
    endpoint = settings.get("endpoint") or GRAPH
    login = settings.get("login_endpoint") or (endpoint if settings.get("endpoint") else LOGIN)
    session = GraphSession(str(settings["tenant_id"]), str(settings["client_id"]), secret, endpoint=endpoint,
                           login_endpoint=login, egress=egress)
    return GraphMailboxCleaner(session)
