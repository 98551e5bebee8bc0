"""Python client of the control API, for tests and scripts driving a fakecloud process."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class ControlError(Exception):
    """The control API refused an operation."""


class Control:
    # generous: seeding a generated multi-gigabyte file hashes it (sha256, QuickXorHash) before answering
    TIMEOUT = 600.0

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.base_url}/_fakecloud/{op}", data=json.dumps(args).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.TIMEOUT) as response:
                result: dict[str, Any] = json.loads(response.read() or b"{}")
                return result
        except urllib.error.HTTPError as exc:
            raise ControlError(f"{op}: {exc.read().decode(errors='replace')}") from None

    def get(self, op: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(f"{self.base_url}/_fakecloud/{op}?{query}", timeout=self.TIMEOUT) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ControlError(f"{op}: {exc.read().decode(errors='replace')}") from None

    # --- generic, the same for every service (service = "ms" | "google") -----------------
    def credentials(self, service: str, tenant: str) -> dict[str, Any]:
        """Settings of an app registration (or service account) that works against the emulator."""
        settings: dict[str, Any] = self.call("credentials", service=service, tenant=tenant)["settings"]
        return settings

    def seed(self, service: str, tenant: str, account: str, kind: str, path: str, content: bytes,
             meta: dict[str, Any] | None = None) -> dict[str, str]:
        """Store one item in its natural form; returns ``{"id", "path"}`` (the item path)."""
        return {k: str(v) for k, v in self.call("seed", service=service, tenant=tenant, account=account, kind=kind,
                                                path=path, content_b64=base64.b64encode(content).decode(),
                                                meta=meta or {}).items()}

    def remove(self, service: str, tenant: str, account: str, kind: str, path: str) -> None:
        self.call("remove", service=service, tenant=tenant, account=account, kind=kind, path=path)

    def items(self, service: str, tenant: str, kind: str, account: str = "") -> list[dict[str, Any]]:
        """``[{"path", "sha256", "size", "modified"}]`` of the stored items of ``kind``."""
        rows: list[dict[str, Any]] = self.get("items", service=service, tenant=tenant, account=account, kind=kind)
        return rows

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

    def ms_invalidate_delta(self, tenant: str, kind: str, account: str = "", path: str = "",
                            code: str = "SyncStateNotFound") -> None:
        """Invalidate the delta tokens of a workload (``kind`` as in :meth:`seed`): the next use is 410."""
        self.call("ms/invalidate_delta", tenant=tenant, kind=kind, account=account, path=path, code=code)

    def ms_download_url_lifetime(self, seconds: float) -> None:
        self.call("ms/download_url_lifetime", seconds=seconds)

    # --- Google -------------------------------------------------------------------------
    def google_user(self, email: str, is_admin: bool = False, mailbox: bool = True) -> str:
        return str(self.call("google/user", email=email, is_admin=is_admin, mailbox=mailbox)["id"])

    def google_label(self, user: str, name: str) -> str:
        return str(self.call("google/label", user=user, name=name)["id"])

    def google_message(self, user: str, raw: bytes, label_ids: list[str]) -> str:
        return str(self.call("google/message", user=user, raw=base64.b64encode(raw).decode(),
                             label_ids=label_ids)["id"])

    # --- OpenID Connect providers (service = "ms" | "google") ------------------------------
    def oidc_client(self, service: str, redirect_uris: list[str], tenant: str = "", client_id: str = "",
                    client_secret: str = "") -> dict[str, Any]:
        """Register an app; ``{"client_id", "client_secret", "discovery_url", "issuer", ...}``."""
        return self.call("oidc/client", service=service, tenant=tenant, client_id=client_id,
                         client_secret=client_secret, redirect_uris=redirect_uris)

    def oidc_user(self, service: str, email: str, tenant: str = "", name: str = "", groups: list[str] | None = None,
                  aliases: list[str] | None = None, email_verified: bool = True, mfa: bool = False) -> dict[str, Any]:
        """Add (or change) an account; ``{"id", "email", ...}`` (``oid``/``tid`` or ``sub``/``hd``)."""
        return self.call("oidc/user", service=service, tenant=tenant, email=email, name=name, groups=groups or [],
                         aliases=aliases or [], email_verified=email_verified, mfa=mfa)

    def oidc_remove_user(self, service: str, email: str) -> None:
        self.call("oidc/remove_user", service=service, email=email)

    def oidc_rotate_keys(self, service: str, drop_old: bool = False) -> dict[str, Any]:
        """A new signing key; ``{"kid": new, "kids": published}``."""
        return self.call("oidc/rotate_keys", service=service, drop_old=drop_old)

    def oidc_next_id_token(self, service: str, sign_with: str | None = None, **claims: Any) -> None:
        """Change the next ID token only: claims (None removes one), ``sign_with="unknown-key"``."""
        args: dict[str, Any] = {"service": service, "claims": claims}
        if sign_with is not None:
            args["sign_with"] = sign_with
        self.call("oidc/next_id_token", **args)

    def oidc_stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("oidc/stats")
        return result

    # --- faults -------------------------------------------------------------------------
    def throttle(self, prefix: str, count: int = 1, retry_after: float = 1, status: int = 429) -> None:
        self.call("faults/throttle", prefix=prefix, count=count, retry_after=retry_after, status=status)
