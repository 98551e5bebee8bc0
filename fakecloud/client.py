"""Python client of the control API, for tests and scripts driving a fakecloud process."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any


class ControlError(Exception):
    """The control API refused an operation."""


class Control:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.base_url}/_fakecloud/{op}", data=json.dumps(args).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                result: dict[str, Any] = json.loads(response.read() or b"{}")
                return result
        except urllib.error.HTTPError as exc:
            raise ControlError(f"{op}: {exc.read().decode(errors='replace')}") from None

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base_url}/_fakecloud/stats", timeout=30) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    # --- Microsoft ----------------------------------------------------------------------
    def ms_app(self, tenant: str, client_id: str, client_secret: str, roles: list[str]) -> None:
        self.call("ms/app", tenant=tenant, client_id=client_id, client_secret=client_secret, roles=roles)

    def ms_user(self, tenant: str, upn: str, mailbox: bool = True, display_name: str = "") -> str:
        return str(self.call("ms/user", tenant=tenant, upn=upn, mailbox=mailbox, display_name=display_name)["id"])

    def ms_folder(self, tenant: str, user: str, name: str, parent: str | None = None) -> str:
        return str(self.call("ms/folder", tenant=tenant, user=user, name=name, parent=parent)["id"])

    def ms_message(self, tenant: str, user: str, folder: str, mime: bytes) -> str:
        return str(self.call("ms/message", tenant=tenant, user=user, folder=folder,
                             mime=base64.b64encode(mime).decode())["id"])

    # --- Google -------------------------------------------------------------------------
    def google_user(self, email: str, is_admin: bool = False, mailbox: bool = True) -> str:
        return str(self.call("google/user", email=email, is_admin=is_admin, mailbox=mailbox)["id"])

    def google_label(self, user: str, name: str) -> str:
        return str(self.call("google/label", user=user, name=name)["id"])

    def google_message(self, user: str, raw: bytes, label_ids: list[str]) -> str:
        return str(self.call("google/message", user=user, raw=base64.b64encode(raw).decode(),
                             label_ids=label_ids)["id"])

    # --- faults -------------------------------------------------------------------------
    def throttle(self, prefix: str, count: int = 1, retry_after: float = 1, status: int = 429) -> None:
        self.call("faults/throttle", prefix=prefix, count=count, retry_after=retry_after, status=status)
