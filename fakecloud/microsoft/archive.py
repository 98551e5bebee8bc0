"""Exchange Online In-Place Archives, auxiliary (auto-expanded) archives and Recoverable Items.

Faithful to the Graph beta documentation ("Use Microsoft Graph Mail APIs with archive mailboxes",
"Handle archive mailbox redirects", ``GET /beta/users/{id}/settings/exchange``):

* ``GET /beta/users/{id}/settings/exchange`` (``User.Read.All``) answers the
  ``exchangeSettings`` entity: ``primaryMailboxId`` and ``inPlaceArchiveMailboxId``, both
  ``MBX:<mailbox guid>@<tenant guid>`` (``null`` when the user has no archive);
* an archive is read like a mailbox: ``/beta/users/MBX:…/mailFolders`` (and ``childFolders``,
  ``messages/delta``, ``messages``, ``messages/{id}/$value``; ``/v1.0`` answers the same);
* a folder of the main archive whose content was moved into an auxiliary archive ("expanded
  folder") answers ``308 Permanent Redirect`` with an empty body and a ``Location`` into the
  auxiliary mailbox (same folder id); so does ``$value`` of a message stored there;
* Recoverable Items (``recoverableitemsdeletions``, ``recoverableitemspurges``,
  ``recoverableitemsversions``) are reached by their well-known names; they are not listed
  under the mailbox root.
"""

from __future__ import annotations

import uuid
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any
from urllib.parse import quote

from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.feed import now_iso
from fakecloud.microsoft.graph import DIRECTORY_ROLES, GraphService
from fakecloud.microsoft.store import (
    WELL_KNOWN,
    Folder,
    IssuedToken,
    Message,
    MicrosoftStore,
    User,
    add_recoverable_folders,
    tenant_guid,
)
from fakecloud.tokens import new_id
from fakecloud.web import Request, Response, Router, json_response

BETA_ODATA = "https://graph.microsoft.com/beta/$metadata"
LOCATIONS = ("primary", "archive", "recoverable")
RECOVERABLE_PATHS = {"deletions": "recoverableitemsdeletions", "purges": "recoverableitemspurges",
                     "versions": "recoverableitemsversions"}
USER = r"/beta/users/(?P<user>[^/]+)"


def primary_mailbox_id(tenant: str, user: User) -> str:
    return f"MBX:{uuid.uuid5(uuid.NAMESPACE_OID, user.id)}@{tenant_guid(tenant)}"


def new_mailbox(store: MicrosoftStore, tenant: str, name: str) -> User:
    """An archive (or auxiliary archive) mailbox: its own folder tree, change log and MBX: id."""
    mbx = f"MBX:{uuid.uuid4()}@{tenant_guid(tenant)}"
    mailbox = User(mbx, mbx, name, mbx)
    root = Folder(new_id(), "Top of Information Store", "", "msgfolderroot", hidden=True)
    mailbox.root_id = root.id
    mailbox.folders[root.id] = root
    for key, display in WELL_KNOWN:
        folder = Folder(new_id(), display, root.id, key)
        mailbox.folders[folder.id] = folder
    add_recoverable_folders(mailbox)
    store.mailboxes[mbx] = mailbox
    return mailbox


def archive_of(store: MicrosoftStore, tenant: str, user: User) -> User:
    """The user's In-Place Archive, enabled on first use."""
    if user.archive_id is None or user.archive_id not in store.mailboxes:
        user.archive_id = new_mailbox(store, tenant, f"Online Archive - {user.display_name}").id
    return store.mailboxes[user.archive_id]


def expanded_folder(store: MicrosoftStore, tenant: str, archive: User, folder_id: str,
                    redirect_base: str | None = None) -> tuple[User, str]:
    """Make ``folder_id`` of the main archive an expanded folder; its content lives in an auxiliary archive."""
    folder = archive.folders[folder_id]
    auxiliary = store.mailboxes.get(folder.redirect_to or "")
    if auxiliary is None:
        auxiliary = new_mailbox(store, tenant, f"{archive.display_name} (auxiliary)")
        folder.redirect_to = auxiliary.id
    if redirect_base:
        folder.redirect_base = redirect_base.rstrip("/")
    if folder_id not in auxiliary.folders:
        auxiliary.folders[folder_id] = Folder(folder_id, folder.display_name, auxiliary.root_id)
    return auxiliary, folder_id


def folder_at(mailbox: User, path: str) -> str:
    """The folder at ``path`` (display names or well-known names) below the root, created as needed."""
    current = mailbox.folders[mailbox.root_id]
    for part in [p for p in (path or "Inbox").split("/") if p]:
        found = next((f for f in mailbox.folders.values() if f.parent_id == current.id and
                      part.lower() in (f.display_name.lower(), (f.well_known or ""))), None)
        if found is None:
            found = Folder(new_id(), part, current.id)
            mailbox.folders[found.id] = found
        current = found
    return current.id


def put_message(mailbox: User, folder_id: str, mime: bytes) -> str:
    headers = BytesHeaderParser(policy=compat32).parsebytes(mime)
    message = Message(new_id(), folder_id, mime, now_iso(), str(headers.get("Subject", "")),
                      str(headers.get("Message-ID", "")), str(headers.get("From", "")))
    mailbox.messages[message.id] = message
    mailbox.append(folder_id, message.id, "add")
    return message.id


def recoverable_folder(mailbox: User, path: str) -> str:
    key = RECOVERABLE_PATHS.get((path or "Deletions").strip("/").rsplit("/", 1)[-1].lower())
    if key is None:
        raise ValueError(f"recoverable items are seeded into Deletions, Purges or Versions, not {path!r}")
    return next(f.id for f in mailbox.folders.values() if f.well_known == key)


def seed_mail(store: MicrosoftStore, tenant: str, user: User, path: str, content: bytes,
              meta: dict[str, Any]) -> tuple[User, str, str] | None:
    """Seed one message at ``meta.location``; None for the primary mailbox (the seeder's own path).

    ``archive``: ``path`` in the In-Place Archive (``meta.auxiliary``: in an auxiliary archive behind a
    308, ``meta.redirect_base`` its Location base); ``recoverable``: ``path`` is Deletions (default),
    Purges or Versions of the primary mailbox. Returns (mailbox, folder id, message id).
    """
    location = str(meta.get("location") or "primary")
    if location not in LOCATIONS:
        raise ValueError(f"unknown mail location {location!r} (one of {', '.join(LOCATIONS)})")
    if meta.get("mailboxType") in ("shared", "room", "equipment"):
        user.account_enabled = False
        user.purpose = str(meta["mailboxType"])
    if meta.get("accountEnabled") is False:  # a disabled user (a leaver): still a user mailbox
        user.account_enabled = False
    if location == "primary":
        return None
    if location == "recoverable":
        folder = recoverable_folder(user, path)
        return user, folder, put_message(user, folder, content)
    mailbox = archive_of(store, tenant, user)
    folder = folder_at(mailbox, path)
    if meta.get("auxiliary") or mailbox.folders[folder].redirect_to:
        mailbox, folder = expanded_folder(store, tenant, mailbox, folder, meta.get("redirect_base"))
    return mailbox, folder, put_message(mailbox, folder, content)


def location_of(mailbox: User, folder_id: str) -> str:
    folder = mailbox.folders.get(folder_id)
    if mailbox.id.startswith("MBX:"):
        return "archive"
    return "recoverable" if folder is not None and (folder.well_known or "").startswith("recoverable") else "primary"


def archive_mailboxes(store: MicrosoftStore, user: User) -> list[User]:
    """The user's archive and its auxiliary archives."""
    archive = store.mailboxes.get(user.archive_id or "")
    if archive is None:
        return []
    auxiliaries = {f.redirect_to for f in archive.folders.values() if f.redirect_to}
    return [archive, *(store.mailboxes[a] for a in sorted(auxiliaries) if a in store.mailboxes)]


class ArchiveService:
    """``settings/exchange`` and the mail endpoints under ``/beta`` with archive redirects."""

    def __init__(self, graph: GraphService) -> None:
        self.graph = graph
        self.store = graph.store

    def register(self, router: Router) -> None:
        mailbox = self.graph._mailbox
        router.add("GET", USER + r"/settings/exchange", mailbox(self.exchange_settings, mailbox=False))
        beta = USER
        router.add("GET", beta + r"/mailFolders", mailbox(self.graph.list_folders))
        router.add("GET", beta + r"/mailFolders/(?P<folder>[^/]+)", mailbox(self._folder(self.graph.get_folder)))
        router.add("GET", beta + r"/mailFolders/(?P<folder>[^/]+)/childFolders",
                   mailbox(self._folder(self.graph.list_folders)))
        router.add("GET", beta + r"/mailFolders/(?P<folder>[^/]+)/messages/delta",
                   mailbox(self._folder(self.graph.delta)))
        router.add("GET", beta + r"/mailFolders/(?P<folder>[^/]+)/messages",
                   mailbox(self._folder(self.graph.list_messages)))
        router.add("GET", beta + r"/messages/(?P<message>[^/]+)/\$value", mailbox(self.mime))

    def exchange_settings(self, request: Request, issued: IssuedToken, user: User) -> Response:
        if not issued.app.roles & DIRECTORY_ROLES:
            return graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        if user.mail is None:
            return graph_error(404, "MailboxNotEnabledForRESTAPI",
                               "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
        return json_response(200, {
            "@odata.context": f"{BETA_ODATA}#users('{user.id}')/settings/exchange/$entity",
            "primaryMailboxId": primary_mailbox_id(issued.tenant, user),
            "inPlaceArchiveMailboxId": user.archive_id})

    def _folder(self, handler: Any) -> Any:
        def redirecting(request: Request, issued: IssuedToken, user: User) -> Response:
            folder = self.store.folder(user, request.params["folder"])
            if folder is not None and folder.redirect_to and user.id.startswith("MBX:"):
                tail = request.path.split(f"/mailFolders/{request.params['folder']}", 1)[1]
                return self._redirect(request, folder.redirect_base, folder.redirect_to,
                                      f"/mailFolders/{quote(folder.id, safe='')}{tail}")
            response: Response = handler(request, issued, user)
            return response
        return redirecting

    def mime(self, request: Request, issued: IssuedToken, user: User) -> Response:
        message_id = request.params["message"]
        if message_id not in user.messages and user.id.startswith("MBX:"):
            for folder in user.folders.values():
                auxiliary = self.store.mailboxes.get(folder.redirect_to or "")
                if auxiliary is not None and message_id in auxiliary.messages:
                    return self._redirect(request, folder.redirect_base, auxiliary.id,
                                          f"/messages/{quote(message_id, safe='')}/$value")
        return self.graph.mime(request, issued, user)

    @staticmethod
    def _redirect(request: Request, base: str | None, mailbox: str, tail: str) -> Response:
        query = "&".join(f"{quote(k, safe='$')}={quote(v[0], safe='$,')}" for k, v in request.query.items())
        location = f"{base or request.base_url}/beta/users/{quote(mailbox, safe=':@')}{tail}"
        return Response(308, b"", {"Location": location + (f"?{query}" if query else "")})
