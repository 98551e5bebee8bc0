"""GraphMailConnector: per-folder message delta with MIME content, app-only auth.

Cursor shape: ``{folder_id: link}`` where ``link`` is the folder's Graph
``@odata.deltaLink`` (or, mid-round, its ``@odata.nextLink``; both resume exactly).
Folders that disappear drop out of the cursor; new folders start with a full round.
A 410 / ``SyncStateNotFound`` restarts that folder from scratch and marks its
batches ``reset=True``; content-addressed storage makes the repeats free.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx

from kustos.sources import mailfacts
from kustos.sources.base import Batch, Cursor, Item, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.delta import delta_round
from kustos.sources.graph.errors import graph_error, token_error
from kustos.sources.graph.folders import MailFolder
from kustos.sources.graph.groups import GroupPostReader, group_scopes, is_group
from kustos.sources.graph.mailbox_types import mailbox_type
from kustos.sources.graph.mailstores import ARCHIVE_FOLDER, mailbox_folders
from kustos.sources.graph.redirects import GraphRedirects
from kustos.sources.http import (
    CachedToken,
    HttpClient,
    KeyedLimiter,
    RetryPolicy,
    bounded_map,
    iter_link_pages,
)

log = logging.getLogger(__name__)

DELTA_SELECT = "id,parentFolderId,internetMessageId,receivedDateTime,isRead,isDraft,flag"
GRAPH = "https://graph.microsoft.com"
# National clouds: Graph host -> identity-platform host (learn.microsoft.com, "National cloud deployments").
LOGIN_FOR_GRAPH = {
    "graph.microsoft.com": "https://login.microsoftonline.com",
    "graph.microsoft.us": "https://login.microsoftonline.us",
    "dod-graph.microsoft.us": "https://login.microsoftonline.us",
    "microsoftgraph.chinacloudapi.cn": "https://login.chinacloudapi.cn",
}


def login_endpoint_for(endpoint: str) -> str:
    """The sign-in host paired with a Graph endpoint; any other URL (an emulator) serves both."""
    return LOGIN_FOR_GRAPH.get(urlsplit(endpoint).netloc.lower(), endpoint)


class GraphMailConnector:
    """Archive every mailbox of a Microsoft 365 tenant through Microsoft Graph v1.0.

    Needs an app registration with the *application* permissions ``User.Read.All``
    (mailbox discovery) and ``Mail.Read`` (content), admin-consented; ``MailboxSettings.Read`` tells
    shared and resource mailboxes apart, ``Group.Read.All`` adds the Microsoft 365 group mailboxes. Tokens come
    from the client-credentials grant posted with httpx directly: MSAL insists on
    authority validation/instance discovery over HTTPS, which national-cloud and
    emulator endpoints given as plain URLs cannot satisfy, and the grant is one POST.
    ``login_endpoint`` defaults to the sign-in host of ``endpoint``'s cloud (global,
    US Government, China), or to ``endpoint`` itself for any other URL (emulators).
    ``egress`` checks every connection (token, API, next/delta links) against the policy.
    """

    name: ClassVar[str] = "graph"
    group_item_kind: ClassVar[str] = "message"  # Item.kind of a group post (the backup reader says "mail")

    def __init__(self, tenant_id: str, client_id: str, client_secret: str,
                 endpoint: str | None = GRAPH, login_endpoint: str | None = None,
                 max_concurrency_per_mailbox: int = 4, page_size: int = 50,
                 retry: RetryPolicy | None = None, timeout: float = 60.0,
                 egress: EgressPolicy | None = None, include_archive: bool = True,
                 include_recoverable: bool = True, archive_folder: str = ARCHIVE_FOLDER) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._secret = client_secret
        self.endpoint = (endpoint or GRAPH).rstrip("/")
        self.login_endpoint = (login_endpoint or login_endpoint_for(self.endpoint)).rstrip("/")
        self.base = f"{self.endpoint}/v1.0"
        self.beta = f"{self.endpoint}/beta"
        self.include_archive = include_archive
        self.include_recoverable = include_recoverable
        self.archive_folder = archive_folder
        self.max_concurrency = max_concurrency_per_mailbox
        self.page_size = page_size
        self._token = CachedToken(self._fetch_token)
        self.http = HttpClient(token=self._token, limiter=KeyedLimiter(max_concurrency_per_mailbox),
                               retry=retry, timeout=timeout, on_error=graph_error, egress=egress)
        self.follow = GraphRedirects(self.http, self.endpoint)

    def close(self) -> None:
        self.http.close()

    def __repr__(self) -> str:  # never show the secret
        return f"GraphMailConnector(tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"

    # --- auth -------------------------------------------------------------------------
    def _fetch_token(self) -> tuple[str, float]:
        url = f"{self.login_endpoint}/{quote(self.tenant_id, safe='')}/oauth2/v2.0/token"
        response = self.http.request("POST", url, auth=False, data={
            "client_id": self.client_id, "client_secret": self._secret,
            "scope": f"{self.endpoint}/.default", "grant_type": "client_credentials"})
        if response.status_code != 200:
            raise token_error(response, self.tenant_id, self.client_id)
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 3599))

    # --- contract ---------------------------------------------------------------------
    def check(self) -> None:
        """Sign in, read the directory (User.Read.All) and one mailbox's folders (Mail.Read)."""
        self._token.token(force_refresh=True)
        self.http.get_json(f"{self.base}/users", params={"$top": "1", "$select": "id"})
        first = next(iter(self.user_scopes()), None)
        if first is not None:
            self.http.get_json(f"{self.base}/users/{quote(first.id, safe='')}/mailFolders",
                               key=first.id, params={"$top": "1"})

    def scopes(self) -> Iterable[Scope]:
        """Every user with a mailbox (:meth:`user_scopes`), then every Microsoft 365 group mailbox
        (:mod:`groups`, ``mailboxType`` ``group``)."""
        yield from self.user_scopes()
        yield from group_scopes(self.http, self.base)

    def user_scopes(self) -> Iterable[Scope]:
        """Every user with a mailbox (``mail`` set), sorted as Graph returns them. ``mailboxType`` in the
        meta is the mailbox's ``userPurpose`` (user, shared, room, equipment, other; :mod:`mailbox_types`)."""
        url = f"{self.base}/users?$select=id,displayName,mail,userPrincipalName,accountEnabled&$top=999"
        for page in iter_link_pages(self.http.get_json, url):
            users = [user for user in page.get("value", []) if user.get("mail")]
            types = bounded_map(lambda user: mailbox_type(self.http, self.base, user), users, self.max_concurrency)
            if any(known_by == "accountEnabled" for _kind, known_by in types):
                log.warning("mailbox settings of %d of %d mailboxes could not be read (is MailboxSettings.Read "
                            "granted?); those are told apart by their disabled account only",
                            sum(known_by == "accountEnabled" for _kind, known_by in types), len(types))
            for user, (kind, known_by) in zip(users, types, strict=True):
                yield Scope(id=str(user["id"]), kind="mailbox", name=str(user["mail"]),
                            meta={"userPrincipalName": user.get("userPrincipalName"),
                                  "displayName": user.get("displayName"),
                                  "mailboxType": kind, "mailboxTypeSource": known_by})

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        if is_group(scope):
            reader = GroupPostReader(self.http, self.base, page_size=self.page_size,
                                     max_concurrency=self.max_concurrency, item_kind=self.group_item_kind)
            yield from reader.fetch(scope, cursor)
            return
        state: dict[str, str] = {str(k): str(v) for k, v in (cursor or {}).items()}
        folders = mailbox_folders(self.follow, self.base, self.beta, scope.id, archive=self.include_archive,
                                  recoverable=self.include_recoverable, archive_folder=self.archive_folder)
        live = {folder.cursor_key for folder in folders}
        dropped = [folder_id for folder_id in state if folder_id not in live]
        for folder_id in dropped:
            del state[folder_id]
        yielded = False
        for folder in folders:
            for batch in self._fetch_folder(scope, folder, state):
                yielded = True
                yield batch
        if not yielded or dropped:
            yield Batch([], dict(state))

    # --- internals --------------------------------------------------------------------
    def _delta_start(self, scope: Scope, folder: MailFolder) -> str:
        return (f"{folder.base or self.base}/users/{quote(folder.mailbox or scope.id, safe='')}/mailFolders/"
                f"{quote(folder.id, safe='')}/messages/delta?$select={DELTA_SELECT}")

    def _fetch_folder(self, scope: Scope, folder: MailFolder, state: dict[str, str]) -> Iterator[Batch]:
        start = self._delta_start(scope, folder)
        for page in delta_round(self.follow, state.get(folder.cursor_key) or start, start, key=scope.id,
                                page_size=self.page_size, what=f"folder {folder.path!r}",
                                where=f"a folder in mailbox {scope.id}"):
            items = self._items(scope, folder, page.rows)
            state[folder.cursor_key] = page.link
            yield Batch(items, dict(state), reset=page.reset)

    def _items(self, scope: Scope, folder: MailFolder, rows: list[Mapping[str, Any]]) -> list[Item]:
        removed = [Item(source_id=str(r["id"]), folder=folder.path, deleted=True,
                        meta={"folder_id": folder.id, "reason": (r.get("@removed") or {}).get("reason")})
                   for r in rows if "@removed" in r]
        present = [r for r in rows if "@removed" not in r]
        contents = bounded_map(lambda r: self._mime(scope, str(r["id"]), folder), present, self.max_concurrency)
        fetched = [Item(source_id=str(r["id"]), data=data, folder=folder.path,
                        meta={"folder_id": folder.id, "internetMessageId": r.get("internetMessageId"),
                              "receivedDateTime": r.get("receivedDateTime"), **mailfacts.graph_facts(r)})
                   for r, data in zip(present, contents, strict=True) if data is not None]
        return fetched + removed

    def _mime(self, scope: Scope, message_id: str, folder: MailFolder | None = None) -> bytes | None:
        base, mailbox = (folder.base, folder.mailbox) if folder is not None else ("", "")
        url = (f"{base or self.base}/users/{quote(mailbox or scope.id, safe='')}/messages/"
               f"{quote(message_id, safe='')}/$value")
        response: httpx.Response = self.follow.request("GET", url, key=scope.id)
        if response.status_code == 404:
            return None  # deleted since the delta page was built; the next round reports it
        return self.http.expect(response).content
