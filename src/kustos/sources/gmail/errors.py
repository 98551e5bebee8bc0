"""Turn Google OAuth and Google API error answers into connector errors with clear text."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from kustos.sources.base import AuthenticationFailed, ConnectorError, CursorExpired, PermissionMissing


class HistoryExpired(CursorExpired):
    """Gmail no longer keeps history back to the cursor's historyId; a full sync is needed."""


class MailboxUnavailable(ConnectorError):
    pass


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


def is_rate_limited(response: httpx.Response) -> bool:
    """Google also throttles with 403 + reason rateLimitExceeded / userRateLimitExceeded."""
    if response.status_code != 403:
        return False
    error = _json(response).get("error")
    if not isinstance(error, dict):
        return False
    return any(e.get("reason") in RATE_LIMIT_REASONS for e in error.get("errors", []) if isinstance(e, dict))


def token_error(response: httpx.Response, client_id: str, subject: str, scopes: str) -> ConnectorError:
    """Map a failed JWT-bearer token request to a clear error."""
    body = _json(response)
    error = str(body.get("error", f"HTTP {response.status_code}"))
    description = str(body.get("error_description", ""))
    if error == "unauthorized_client":
        return PermissionMissing(
            f"domain-wide delegation is not granted: in the Google Admin console (Security > API controls > "
            f"Domain-wide delegation) authorise client id {client_id} for the scopes {scopes.replace(' ', ',')}")
    if error == "invalid_grant" and "Signature" in description:
        return AuthenticationFailed("Google rejected the service-account key (invalid JWT signature); "
                                    "the key was probably deleted - upload a new JSON key")
    if error == "invalid_grant" and "email" in description.lower():
        return AuthenticationFailed(f"Google does not know the user {subject!r} (or it is suspended); "
                                    f"check the admin e-mail")
    if error == "invalid_client":
        return AuthenticationFailed("Google does not know this service account (deleted or disabled?); "
                                    "upload the JSON key of an active service account")
    return AuthenticationFailed(f"Google sign-in failed ({error}): {description}".rstrip(": "))


_APIS = (("/gmail/", "Gmail API"), ("/drive/", "Drive API"), ("/calendar/", "Calendar API"),
         ("/tasks/", "Tasks API"), ("people", "People API"))


def _api_name(path: str) -> str:
    return next((name for marker, name in _APIS if marker in path), "Google API")


def api_error(response: httpx.Response) -> ConnectorError:
    """Map a Google JSON API error (``{"error": {"code", "message", "errors": [...]}}``)."""
    error = _json(response).get("error") or {}
    message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
    reasons = [str(e.get("reason", "")) for e in error.get("errors", [])] if isinstance(error, dict) else []
    status = response.status_code
    path = urlsplit(str(response.request.url)).path
    if status == 404 and path.endswith("/history"):
        return HistoryExpired("Gmail no longer has history back to the stored historyId; full resync")
    if status == 401:
        return AuthenticationFailed(f"Google rejected the access token: {message}")
    if status == 403:
        if "/admin/directory/" in path:
            return PermissionMissing(f"the admin e-mail is not a Google Workspace administrator allowed to "
                                     f"list users ({message})")
        return PermissionMissing(f"the {_api_name(path)} refused access ({', '.join(reasons) or status}): {message}")
    if status == 400 and "failedPrecondition" in reasons and "/gmail/" in path:
        return MailboxUnavailable(f"Gmail is not enabled for this user: {message}")
    return ConnectorError(f"the {_api_name(path)} answered HTTP {status} ({', '.join(reasons)}): {message}")
