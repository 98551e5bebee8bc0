"""The generic control API, the same for every emulated service (``service`` = ``ms`` | ``google``).

* ``POST /_fakecloud/credentials {"service","tenant"}`` → ``{"settings": {...}}``: an app
  registration (``ms``: tenant_id, client_id, client_secret, endpoint, login_endpoint, every
  app role) or a service account with domain-wide delegation (``google``: service_account
  key, admin, endpoint) that works against this emulator.
* ``POST /_fakecloud/seed {"service","tenant","account","kind","path","content_b64","meta"}``
  → ``{"id","path"}``; ``POST /_fakecloud/remove {"service","tenant","account","kind","path"}``;
  ``GET /_fakecloud/items?service=&tenant=&account=&kind=`` → ``[{"path","sha256","size","modified"}]``.

Paths per kind: :mod:`fakecloud.microsoft.seed`. Google supports ``kind=mail`` (``path`` is
a label name, default ``INBOX``; ``tenant`` is the domain) and ``file``, ``event``, ``contact``,
``task`` (:mod:`fakecloud.google.seed`).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from fakecloud.box.seed import BoxSeeder
from fakecloud.box.store import BoxStore
from fakecloud.dropbox.seed import DropboxSeeder
from fakecloud.google.keys import DWD_SCOPES, make_service_account
from fakecloud.google.seed import KINDS as GOOGLE_KINDS
from fakecloud.google.seed import GoogleSeeder
from fakecloud.google.store import GoogleStore
from fakecloud.google.workspace_scopes import BACKUP_SCOPES, CLEANUP_SCOPES
from fakecloud.microsoft.seed import MicrosoftSeeder, credentials
from fakecloud.microsoft.store import MicrosoftStore
from fakecloud.salesforce.seed import SalesforceSeeder
from fakecloud.salesforce.store import SalesforceStore


class Seeding:
    dropbox: DropboxSeeder | None = None  # set by the control service (service "dropbox")

    def __init__(self, microsoft: MicrosoftStore, google: GoogleStore, salesforce: SalesforceStore | None = None,
                 box: BoxStore | None = None) -> None:
        self.box = BoxSeeder(box) if box is not None else None
        self.salesforce = SalesforceSeeder(salesforce) if salesforce is not None else None
        self.microsoft = microsoft
        self.google = google
        self.ms = MicrosoftSeeder(microsoft)

    def credentials(self, args: dict[str, Any], base_url: str) -> dict[str, Any]:
        if args.get("service") == "dropbox" and self.dropbox:  # a team app (team token, as-member calls)
            return self.dropbox.credentials(args, base_url)
        if args.get("service") == "box" and self.box:  # an enterprise app (client credentials grant)
            return self.box.credentials(str(args["tenant"]), base_url)
        if args.get("service") == "salesforce" and self.salesforce:  # the connected app of an org
            return self.salesforce.credentials(str(args["tenant"]), base_url)
        service, tenant = _service(args), str(args["tenant"])
        if service == "ms":
            with self.microsoft.lock:
                return credentials(self.microsoft, tenant, base_url)
        info, public_pem = make_service_account(base_url)
        admin = f"admin@{tenant}"
        with self.google.lock:
            self.google.add_service_account(info["client_email"], info["client_id"], public_pem.encode(),
                                            DWD_SCOPES + BACKUP_SCOPES + CLEANUP_SCOPES)
            if self.google.user(admin) is None:
                self.google.add_user(admin, "Admin", is_admin=True)
        return {"settings": {"service_account": info, "admin": admin, "endpoint": base_url}}

    def seed(self, args: dict[str, Any]) -> dict[str, str]:
        if args.get("service") == "dropbox" and self.dropbox:
            return self.dropbox.seed(args, base64.b64decode(args.get("content_b64", ""), validate=True),
                                     dict(args.get("meta") or {}))
        if args.get("service") == "box" and self.box:
            return self.box.seed(str(args["tenant"]), str(args["account"]), str(args["kind"]), str(args.get("path", "")),
                                 base64.b64decode(args.get("content_b64", ""), validate=True), dict(args.get("meta") or {}))
        if args.get("service") == "salesforce" and self.salesforce:  # kind = object, path = record id
            return self.salesforce.seed(str(args["tenant"]), str(args["kind"]), str(args.get("path", "")),
                                        base64.b64decode(args.get("content_b64", ""), validate=True))
        service, tenant, account, kind = _service(args), str(args["tenant"]), str(args["account"]), str(args["kind"])
        content = base64.b64decode(args.get("content_b64", ""), validate=True)
        meta = args.get("meta") or {}
        if not isinstance(meta, dict):
            raise TypeError("meta must be a JSON object")
        if service == "ms":
            with self.microsoft.lock:
                return self.ms.seed(tenant, account, kind, str(args.get("path", "")), content, meta)
        if kind in GOOGLE_KINDS:
            with self.google.lock:
                return GoogleSeeder(self.google).seed(account, kind, str(args.get("path", "")), content, meta)
        _google_kind(kind)
        with self.google.lock:
            if self.google.user(account) is None:
                self.google.add_user(account)
            user = self.google.user(account)
            assert user is not None
            label = str(args.get("path") or "INBOX")
            label_id = next((k for k, (name, _t) in user.labels.items() if name.lower() == label.lower()), None)
            label_id = label_id or self.google.add_label(account, label)
            message = self.google.add_message(account, content, [label_id])
            return {"id": message, "path": f"{user.labels[label_id][0]}/{message}"}

    def remove(self, args: dict[str, Any]) -> None:
        if args.get("service") == "dropbox" and self.dropbox:
            return self.dropbox.remove(args)
        if args.get("service") == "box" and self.box:
            return self.box.remove(str(args["tenant"]), str(args.get("account", "")), str(args["kind"]), str(args["path"]))
        if args.get("service") == "salesforce" and self.salesforce:
            return self.salesforce.remove(str(args["tenant"]), str(args["path"]))
        service, tenant, account, kind = _service(args), str(args["tenant"]), str(args.get("account", "")), \
            str(args["kind"])
        path = str(args["path"])
        if service == "ms":
            with self.microsoft.lock:
                self.ms.remove(tenant, account, kind, path)
            return
        if kind in GOOGLE_KINDS:
            with self.google.lock:
                GoogleSeeder(self.google).remove(account, kind, path)
            return
        _google_kind(kind)
        self.google.delete_message(account, path.rsplit("/", 1)[-1])

    def items(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        args = {k: v[0] for k, v in query.items()}
        if args.get("service") == "dropbox" and self.dropbox:
            return self.dropbox.items(args)
        if args.get("service") == "box" and self.box:
            return self.box.items(args.get("tenant", ""), args.get("account", ""), args.get("kind", ""))
        if args.get("service") == "salesforce" and self.salesforce:
            return self.salesforce.items(args.get("tenant", ""), args.get("kind", ""))
        service, tenant, account, kind = _service(args), args.get("tenant", ""), args.get("account", ""), \
            args.get("kind", "")
        if service == "ms":
            with self.microsoft.lock:
                return self.ms.items(tenant, account, kind)
        if kind in GOOGLE_KINDS:
            with self.google.lock:
                return GoogleSeeder(self.google).items(account, kind)
        _google_kind(kind)
        rows = []
        with self.google.lock:
            for user in self.google.users.values():
                if account and user.email.lower() != account.lower():
                    continue
                for message in user.messages.values():
                    label = user.labels.get(message.label_ids[0], ("", ""))[0] if message.label_ids else ""
                    modified = datetime.fromtimestamp(message.internal_date / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    rows.append({"path": f"{label}/{message.id}", "sha256": hashlib.sha256(message.raw).hexdigest(),
                                 "size": len(message.raw), "modified": modified,
                                 "labels": [user.labels.get(x, (x, ""))[0] for x in message.label_ids]})
        return sorted(rows, key=lambda r: r["path"])


def _service(args: dict[str, Any]) -> str:
    service = str(args.get("service", ""))
    if service not in ("ms", "google"):
        raise ValueError(f"unknown service {service!r} (ms or google)")
    return service


def _google_kind(kind: str) -> None:
    if kind != "mail":
        raise ValueError(f"kind {kind!r} is not emulated for google (mail, {', '.join(GOOGLE_KINDS)})")
