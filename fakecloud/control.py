"""Control API (``/_fakecloud/...``): seed data, change it, inject faults, read stats.

Every operation is ``POST /_fakecloud/<op>`` with a JSON object; it answers JSON
(``{"id": ...}`` for creations). ``GET /_fakecloud/stats`` returns request, throttle
and concurrency statistics. Binary payloads (MIME) travel base64-encoded.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Protocol

from fakecloud.dropbox.seed import DropboxSeeder
from fakecloud.faults import Faults
from fakecloud.google.seed import GoogleSeeder
from fakecloud.google.store import GoogleStore
from fakecloud.microsoft.graph import GraphService
from fakecloud.microsoft.seed import MicrosoftSeeder
from fakecloud.microsoft.store import MicrosoftStore
from fakecloud.salesforce import rules as sf_rules
from fakecloud.salesforce.seed import SalesforceSeeder
from fakecloud.seeding import Seeding
from fakecloud.web import Request, Response, Router, json_response

Op = Callable[[dict[str, Any]], Any]


class Cloud(Protocol):
    faults: Faults
    microsoft: MicrosoftStore
    google: GoogleStore
    graph: GraphService

    def reset(self) -> None: ...


class ControlService:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud

    def register(self, router: Router) -> None:
        router.add("GET", r"/_fakecloud/stats", lambda request: json_response(200, self.cloud.faults.stats()))
        router.add("POST", r"/_fakecloud/credentials", self._guard(
            lambda request: self.seeding().credentials(request.json(), request.base_url)))
        router.add("POST", r"/_fakecloud/seed", self._guard(lambda request: self.seeding().seed(request.json())))
        router.add("POST", r"/_fakecloud/remove", self._guard(lambda request: self.seeding().remove(request.json())))
        router.add("GET", r"/_fakecloud/items", self._guard(lambda request: self.seeding().items(request.query)))
        router.add("POST", r"/_fakecloud/(?P<op>[a-z_]+/?[a-z_]*)", self.dispatch)

    def seeding(self) -> Seeding:
        seeding = self._seeding()
        seeding.dropbox = DropboxSeeder(self.cloud.dropbox)  # type: ignore[attr-defined]
        return seeding

    def _seeding(self) -> Seeding:
        return Seeding(self.cloud.microsoft, self.cloud.google, salesforce=getattr(self.cloud, "salesforce", None),
                       box=getattr(self.cloud, "box", None))

    @staticmethod
    def _guard(handler: Callable[[Request], Any]) -> Callable[[Request], Response]:
        """JSON answer of ``handler``; bad input is a 400 with a one-line error."""

        def wrapped(request: Request) -> Response:
            try:
                result = handler(request)
            except (KeyError, ValueError, TypeError) as exc:
                return json_response(400, {"error": f"{type(exc).__name__}: {exc}"})
            return json_response(200, result if result is not None else {})

        return wrapped

    def _invalidate(self, args: dict[str, Any]) -> None:
        """Mail folders as before (``user``, ``folder``); other workloads by ``kind``, ``account``, ``path``."""
        ms, code = self.cloud.microsoft, args.get("code", "SyncStateNotFound")
        if "kind" not in args:
            ms.invalidate_delta(args["tenant"], args["user"], args["folder"], code)
            return
        with ms.lock:
            feeds = MicrosoftSeeder(ms).feeds(args["tenant"], args.get("account", ""), args["kind"],
                                              args.get("path", ""))
            if not feeds:
                raise KeyError(f"no {args['kind']} delta for {args.get('account', '')} {args.get('path', '')}")
            for feed in feeds:
                feed.invalidate(code)

    def _invalidate_all(self, args: dict[str, Any]) -> None:
        """Every delta of one user: mail folders, OneDrive, calendars, contact folders, To Do lists."""
        ms, code = self.cloud.microsoft, args.get("code", "SyncStateNotFound")
        with ms.lock:
            user = ms.user(args["tenant"], args["user"])
            if user is not None and user.mail is not None:
                ms.invalidate_all_deltas(args["tenant"], args["user"], code)
            seeder = MicrosoftSeeder(ms)
            for kind in ("file", "event", "contact", "task"):
                for feed in seeder.feeds(args["tenant"], user.upn if user else args["user"], kind):
                    feed.invalidate(code)

    def dispatch(self, request: Request) -> Response:
        op = self.ops().get(request.params["op"])
        if op is None:
            return json_response(404, {"error": f"unknown control operation {request.params['op']}"})
        try:
            result = op(request.json())
        except (KeyError, ValueError, TypeError) as exc:
            return json_response(400, {"error": f"{type(exc).__name__}: {exc}"})
        if isinstance(result, str):
            result = {"id": result}
        return json_response(200, result if result is not None else {})

    def ops(self) -> dict[str, Op]:
        ms, g, faults = self.cloud.microsoft, self.cloud.google, self.cloud.faults
        return {
            "reset": lambda a: self.cloud.reset(),
            "faults/throttle": lambda a: faults.add_throttle(a["prefix"], int(a.get("count", 1)),
                                                             float(a.get("retry_after", 1)),
                                                             int(a.get("status", 429))),
            "faults/latency": lambda a: faults.add_latency(a["prefix"], float(a["seconds"])),
            "faults/clear": lambda a: faults.reset(),
            "ms/app": lambda a: ms.add_app(a["tenant"], a["client_id"], a["client_secret"], a.get("roles", [])),
            "ms/roles": lambda a: ms.set_roles(a["tenant"], a["client_id"], a["roles"]),
            "ms/token_lifetime": lambda a: setattr(ms, "token_lifetime", int(a["seconds"])),
            "ms/concurrency": lambda a: setattr(self.cloud.graph, "mailbox_concurrency", int(a["limit"])),
            "ms/user": lambda a: ms.add_user(a["tenant"], a["upn"], a.get("display_name", ""),
                                             bool(a.get("mailbox", True)), a.get("id")),
            "ms/folder": lambda a: ms.add_folder(a["tenant"], a["user"], a["name"], a.get("parent")),
            "ms/message": lambda a: ms.add_message(a["tenant"], a["user"], a["folder"], _bytes(a["mime"])),
            "ms/delete": lambda a: ms.delete_message(a["tenant"], a["user"], a["message"]),
            "ms/move": lambda a: ms.move_message(a["tenant"], a["user"], a["message"], a["folder"]),
            "ms/mark_read": lambda a: ms.mark_read(a["tenant"], a["user"], a["message"]),
            "ms/invalidate_delta": self._invalidate,
            "ms/download_url_lifetime": lambda a: setattr(ms.drives, "download_lifetime", float(a["seconds"])),
            "ms/invalidate_all_deltas": self._invalidate_all,
            "google/service_account": lambda a: g.add_service_account(
                a["client_email"], a["client_id"], a["public_key_pem"].encode(), a["scopes"]),
            "google/delegated_scopes": lambda a: g.set_delegated_scopes(a["client_email"], a["scopes"]),
            "google/token_lifetime": lambda a: setattr(g, "token_lifetime", int(a["seconds"])),
            "google/user": lambda a: g.add_user(a["email"], a.get("full_name", ""), bool(a.get("is_admin")),
                                                bool(a.get("mailbox", True)), bool(a.get("suspended"))),
            "google/label": lambda a: g.add_label(a["user"], a["name"]),
            "google/message": lambda a: g.add_message(a["user"], _bytes(a["raw"]), a.get("label_ids", []),
                                                      a.get("thread_id")),
            "google/delete": lambda a: g.delete_message(a["user"], a["message"]),
            "google/modify": lambda a: g.modify_labels(a["user"], a["message"], a.get("add", []),
                                                       a.get("remove", [])),
            "google/expire_history": lambda a: g.expire_history(a["user"]),
            "google/expire_sync": lambda a: GoogleSeeder(g).expire(a["user"], a["kind"]),
            "dropbox/invalidate_cursors": lambda a: DropboxSeeder(self.cloud.dropbox).invalidate(a),  # type: ignore[attr-defined]
            "dropbox/app_scopes": lambda a: DropboxSeeder(self.cloud.dropbox).app_scopes(a),  # type: ignore[attr-defined]
            "box/expire_events": lambda a: self.cloud.box.expire_events(a["tenant"], a.get("account", "")),  # type: ignore[attr-defined]
            "box/download_url_lifetime": lambda a: setattr(self.cloud.box, "download_lifetime", float(a["seconds"])),  # type: ignore[attr-defined]
            "box/move": lambda a: self.cloud.box.move(a["tenant"], a["account"], a["path"], a["to"]),  # type: ignore[attr-defined]
            "salesforce/expire_window": lambda a: SalesforceSeeder(self.cloud.salesforce).expire_window(a["tenant"]),  # type: ignore[attr-defined]
            "salesforce/page_size": lambda a: setattr(self.cloud.salesforce, "page_size", int(a["size"])),  # type: ignore[attr-defined]
            "salesforce/configure": lambda a: SalesforceSeeder(self.cloud.salesforce).configure(a),  # type: ignore[attr-defined]
            "salesforce/describe": lambda a: sf_rules.describe_field(self.cloud.salesforce, a["tenant"], a["object"], a["field"], a["describe"]),  # type: ignore[attr-defined]
            "salesforce/copy_schema": lambda a: sf_rules.copy_schema(self.cloud.salesforce, a["from"], a["to"]),  # type: ignore[attr-defined]
        }


def _bytes(value: str) -> bytes:
    return base64.b64decode(value)
