"""The Django side of the IMAP server: who logs in, what they see, the bytes, the search, the audit.

Every decision is made where the rest of Kustos makes it: ``accounts.access`` (scope, permission,
``visibility``, ``self_service_allows``), ``archive.services.messages.visible`` (per message),
``archive.services.search.run`` (the visibility filter inside the index query), the app password
service and ``audit.services.record``. Each method runs in a worker thread of the server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import close_old_connections
from django.http import Http404

from kustos.accounts import access
from kustos.accounts.access import Perm
from kustos.accounts.models import User
from kustos.accounts.roles import Role
from kustos.accounts.services import app_passwords, twofactor
from kustos.archive.models import Folder, Mailbox, Message, MessageRef
from kustos.archive.services import messages as message_service
from kustos.archive.services import search as search_service
from kustos.audit import services as audit
from kustos.imapd.backend import AuthError, CommandError, FolderInfo, MessageInfo
from kustos.imapd.uids import uidvalidity
from kustos.search import limits as search_limits
from kustos.search.query.errors import QuerySyntaxError
from kustos.tenants.models import Customer

T = TypeVar("T")
FEATURE = "imap"
FETCH_BATCH = 256  # vault ids looked up per query while a client fetches a folder's messages
MAX_PASSWORD = 1024


def _db(fn: Callable[..., T]) -> Callable[..., T]:
    """Worker threads keep their own connection; drop it when it is broken or too old."""
    def wrapper(*args: Any, **kwargs: Any) -> T:
        close_old_connections()
        return fn(*args, **kwargs)
    return wrapper


def imap_path(path: str) -> str:
    """A folder path as shown over IMAP: the first component ``inbox`` in any case is ``INBOX``."""
    parts = [p for p in path.strip("/").split("/") if p]
    if parts and parts[0].upper() == "INBOX":
        parts[0] = "INBOX"
    return "/".join(parts)


class ArchiveAuthenticator:
    @_db
    def login(self, username: str, password: str, client: str) -> ArchiveAccount:
        email, _, customer_id = username.partition("#")
        user = User.objects.filter(email__iexact=email.strip()).first() if email.strip() else None
        if user is None or not user.is_active or not password or len(password) > MAX_PASSWORD:
            User().set_password(password[:MAX_PASSWORD])  # as long as a real check: no user enumeration by timing
            return self._refuse(email, client, "wrong user name or password", user=user)
        via, app_password = "password", None
        if password.startswith(app_passwords.PREFIX):
            app_password = app_passwords.authenticate(user, password)
        if app_password is not None:
            via = "app_password"
        elif user.check_password(password):
            if twofactor.required(user) or twofactor.confirmed_device(user) is not None:
                return self._refuse(email, client, "this account uses two-factor authentication: "
                                    "log in with an app password", user=user, reason="two_factor")
            if user.must_change_password:
                return self._refuse(email, client, "choose a new password in the dashboard first",
                                    user=user, reason="password_change")
        else:
            return self._refuse(email, client, "wrong user name or password", user=user)
        customer = self._customer(user, customer_id.strip(), client)
        if not access.self_service_allows(user, customer, FEATURE):
            return self._refuse(email, client, "IMAP access is turned off for your organisation",
                                user=user, customer=customer, reason="self_service_off")
        scope = access.visibility(user, customer)
        audit.record("imap.login", actor=user, customer=customer, ip=client,
                     detail={"via": via, **({"app_password": app_password.id} if app_password else {})})
        return ArchiveAccount(user, customer, scope, app_password_id=app_password.id if app_password else "")

    def _customer(self, user: User, customer_id: str, client: str) -> Customer:
        if user.role in (Role.END_USER, Role.CUSTOMER_ADMIN):
            candidates = [user.customer_id] if user.customer_id else []
        elif user.role == Role.AUDITOR:
            candidates = [g.customer_id for g in access.grants_for(user) if g.active]
        else:
            qs = access.customers_for(user)
            candidates = list(qs.filter(id=customer_id).values_list("id", flat=True)[:1] if customer_id
                              else qs.values_list("id", flat=True)[:2])
        if customer_id:
            candidates = [c for c in candidates if c == customer_id]
        if len(candidates) != 1:
            reason = ("log in as EMAIL#CUSTOMER-ID to choose one of your customers" if len(candidates) > 1
                      else "no archive access")
            self._refuse(user.email, client, reason, user=user, reason="customer")
        try:
            return access.get_customer(user, str(candidates[0]), Perm.ARCHIVE_SEARCH)
        except (Http404, PermissionDenied):
            return self._refuse(user.email, client, "no archive access", user=user, reason="permission")

    def _refuse(self, name: str, client: str, message: str, *, user: User | None = None,
                customer: Customer | None = None, reason: str = "credentials") -> Any:
        self.failed(name, client, reason, user=user, customer=customer)
        raise AuthError(message)

    @_db
    def failed(self, username: str, client: str, reason: str, *, user: User | None = None,
               customer: Customer | None = None) -> None:
        audit.record("imap.login", actor=user or f"imap:{username[:100]}", outcome="denied", ip=client,
                     customer=customer or (user.customer if user else None),
                     partner=(user.partner_id or "") if user else "", detail={"reason": reason})


@dataclasses.dataclass
class _Entry:
    info: FolderInfo
    folder: Folder | None
    address: str


class ArchiveAccount:
    def __init__(self, user: User, customer: Customer, scope: access.Visibility, *, app_password_id: str = "") -> None:
        self.user, self.customer = user, customer
        self.name = user.email
        self.app_password_id = app_password_id
        self._set_scope(scope)
        # The selected folder's message ids in UID order, and the vault ids looked up so far
        # (None = no longer in the archive): a full sync costs one query per FETCH_BATCH messages.
        self._order: list[str] = []
        self._position: dict[str, int] = {}
        self._vault_ids: dict[str, str | None] = {}

    def _set_scope(self, scope: access.Visibility) -> None:
        self.scope = scope
        # The folder's mailbox is one the user may see, so per message only the remaining conditions
        # of the visibility filter (dates, tax relevance, restriction) are left to check.
        self.message_scope = dataclasses.replace(scope, allowed_mailboxes=None)

    def _refresh(self) -> None:
        """Every SELECT/EXAMINE/STATUS decides again: a deactivated user, a revoked app password, an
        expired or revoked auditor grant or a switched-off self-service end the access mid-session."""
        user = User.objects.filter(id=self.user.id, is_active=True).first()
        if user is None:
            raise CommandError("your account is deactivated")
        if self.app_password_id and not user.app_passwords.filter(id=self.app_password_id,
                                                                  revoked_at__isnull=True).exists():
            raise CommandError("this app password was revoked")
        try:
            customer = access.get_customer(user, self.customer.id, Perm.ARCHIVE_SEARCH)
            if not access.self_service_allows(user, customer, FEATURE):
                raise PermissionDenied("IMAP access is turned off for your organisation")
            self._set_scope(access.visibility(user, customer))
        except (Http404, PermissionDenied):
            raise CommandError("your access to this archive has ended") from None
        self.user, self.customer = user, customer

    def _mailboxes(self) -> list[Mailbox]:
        qs = Mailbox.objects.filter(customer=self.customer)
        if self.scope.allowed_mailboxes is not None:
            qs = qs.filter(address__in=self.scope.allowed_mailboxes)
        return list(qs.order_by("address"))

    def _tree(self) -> dict[str, _Entry]:
        boxes = self._mailboxes()
        flat = self.user.role == Role.END_USER and len(self.user.own_mailboxes()) == 1 and len(boxes) <= 1
        entries: dict[str, _Entry] = {}
        generation = access.visibility_generation(self.user, self.customer)
        if not flat:
            for box in boxes:
                entries[box.address] = _Entry(FolderInfo(box.address, selectable=False), None, box.address)
        folders = Folder.objects.filter(mailbox__in=boxes).select_related("mailbox").order_by("mailbox__address", "path")
        for folder in folders:
            path = imap_path(folder.path)
            if not path:
                continue
            address = folder.mailbox.address
            name = path if flat else f"{address}/{path}"
            entries[name] = _Entry(FolderInfo(name, True, uidvalidity(folder.id, generation)), folder, address)
            parts = name.split("/")
            for i in range(1, len(parts)):  # parents that hold no mail of their own
                parent = "/".join(parts[:i])
                entries.setdefault(parent, _Entry(FolderInfo(parent, selectable=False), None, address))
        parents = {name.rsplit("/", 1)[0] for name in entries if "/" in name}
        for name in parents & set(entries):
            entry = entries[name]
            entries[name] = dataclasses.replace(entry, info=dataclasses.replace(entry.info, has_children=True))
        return entries

    @_db
    def folders(self) -> list[FolderInfo]:
        return [e.info for _, e in sorted(self._tree().items())]

    def _lookup(self, name: str) -> _Entry | None:
        if name.upper() == "INBOX" or name.upper().startswith("INBOX/"):
            name = "INBOX" + name[5:]
        return self._tree().get(name.rstrip("/"))

    @_db
    def open(self, name: str) -> tuple[FolderInfo, list[MessageInfo]] | None:
        self._refresh()
        entry = self._lookup(name)
        if entry is None or entry.folder is None:
            return None if entry is None else (entry.info, [])
        refs = (MessageRef.objects.filter(folder=entry.folder, message__customer=self.customer)
                .select_related("message").order_by("id"))
        out = []
        for ref in refs.iterator(chunk_size=2000):
            msg = ref.message
            if message_service.visible(msg, self.message_scope):
                out.append(_info(ref, msg))
        self._order = [m.message_id for m in out]
        self._position = {mid: i for i, mid in enumerate(self._order)}
        self._vault_ids = {}
        return entry.info, out

    @_db
    def fetch(self, message: MessageInfo) -> bytes:
        if message.message_id not in self._vault_ids:
            start = self._position.get(message.message_id)
            wanted = [message.message_id] if start is None else self._order[start:start + FETCH_BATCH]
            found = message_service.vault_ids(self.customer.id, wanted)
            self._vault_ids.update((mid, found.get(mid)) for mid in wanted)
        vault_id = self._vault_ids[message.message_id]
        if vault_id is None:  # deleted (retention, approved) since the folder was selected
            raise CommandError(f"message UID {message.uid} is no longer in the archive; select the folder again")
        return message_service.raw_object(self.customer.id, vault_id)

    @_db
    def search(self, folder: FolderInfo, query: str, messages: list[MessageInfo]) -> set[int]:
        entry = self._lookup(folder.name)
        if entry is None or entry.folder is None:
            return set()
        uid_of = {m.message_id: m.uid for m in messages}
        full = f"({query})"
        if '"' not in entry.folder.path:
            full += f' folder:"{entry.address}/{entry.folder.path}"'
        found: set[int] = set()
        offset, total = 0, 0
        try:
            while offset <= search_limits.MAX_OFFSET:
                result = search_service.run(self.customer, full, self.scope, mailbox=entry.address,
                                            limit=search_limits.MAX_LIMIT, offset=offset)
                total = result.total
                found.update(uid_of[h.id] for h in result.hits if h.id in uid_of)
                offset += search_limits.MAX_LIMIT
                if offset >= total or not result.hits:
                    break
        except (QuerySyntaxError, ValueError) as exc:
            raise CommandError(f"search not understood: {exc}") from None
        audit.record("archive.search", actor=self.user, customer=self.customer,
                     detail={"query": full[:500], "total": total, "via": "imap", "folder": folder.name[:200]})
        if total > search_limits.MAX_OFFSET + search_limits.MAX_LIMIT:
            raise CommandError("too many matches; narrow the search")
        return found

    @_db
    def record_fetches(self, folder: FolderInfo, message_ids: list[str]) -> None:
        audit.record("imap.fetch", actor=self.user, customer=self.customer, target=folder.name[:200],
                     detail={"messages": message_ids, "count": len(message_ids)})

    def close(self) -> None:
        close_old_connections()


def _info(ref: MessageRef, msg: Message) -> MessageInfo:
    """The message as the folder shows it: the mailbox's own receive time and flags where they were
    archived, else (mail archived before they were kept, or from a source without them) the Date
    header or archive time and ``\\Seen``."""
    if ref.received_at is not None:
        return MessageInfo(ref.id, msg.id, msg.size, ref.received_at, tuple(ref.flags or ()))
    return MessageInfo(ref.id, msg.id, msg.size, msg.date or msg.archived_at,
                       tuple(ref.flags) if ref.flags else ("\\Seen",))
