"""Turn identity-platform and Graph error answers into connector errors with clear text."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from kustos.sources.base import AuthenticationFailed, ConnectorError, CursorExpired, PermissionMissing

RESYNC_CODES = {"syncstatenotfound", "syncstateinvalid", "resyncrequired", "invaliddeltatoken"}


class SyncStateLost(CursorExpired):
    """Graph no longer accepts the delta/next link; the folder must be enumerated again."""


class MailboxUnavailable(ConnectorError):
    pass


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def token_error(response: httpx.Response, tenant: str, client_id: str) -> ConnectorError:
    """Map a failed client-credentials token request (AADSTS codes) to a clear error."""
    body = _json(response)
    codes = body.get("error_codes") or []
    error = str(body.get("error", f"HTTP {response.status_code}"))
    if 90002 in codes or 900023 in codes:
        return AuthenticationFailed(f"Microsoft 365 tenant '{tenant}' was not found; check the tenant id")
    if 700016 in codes:
        return AuthenticationFailed(f"application (client) id '{client_id}' is not registered in tenant "
                                    f"'{tenant}'; check the client id")
    if 7000222 in codes:
        return AuthenticationFailed("the client secret has expired; create a new secret in the app registration")
    if 7000215 in codes or error == "invalid_client":
        return AuthenticationFailed("the client secret is wrong; create a new secret in the app registration")
    description = re.sub(r"\s*Trace ID:.*", "", str(body.get("error_description", "")), flags=re.S)
    return AuthenticationFailed(f"Microsoft sign-in failed ({error}): {description}".rstrip(": "))


def graph_error(response: httpx.Response) -> ConnectorError:
    """Map a Graph error answer (``{"error": {"code", "message"}}``) to a connector error."""
    error = _json(response).get("error") or {}
    code = str(error.get("code", ""))
    message = str(error.get("message", ""))
    status = response.status_code
    path = urlsplit(str(response.request.url)).path
    if status == 410 or code.lower() in RESYNC_CODES:
        return SyncStateLost(f"Microsoft Graph invalidated the delta state ({code or status}); resynchronising")
    if status == 401:
        return AuthenticationFailed(f"Microsoft Graph rejected the access token ({code}): {message}")
    if status == 403:
        permission = ("Mail.Read" if ("/mailFolders" in path or "/messages" in path) else
                      "Group.Read.All" if path.split("/")[2:3] == ["groups"] else
                      "MailboxSettings.Read" if "/mailboxSettings" in path else "User.Read.All")
        return PermissionMissing(f"the app registration lacks the Microsoft Graph application permission "
                                 f"{permission} (add it and grant admin consent); Graph said {code}: {message}")
    if status == 404 and code == "MailboxNotEnabledForRESTAPI":
        return MailboxUnavailable(f"the mailbox is inactive, soft-deleted or hosted on-premises ({code})")
    return ConnectorError(f"Microsoft Graph answered HTTP {status} {code}: {message}".rstrip(": "))
