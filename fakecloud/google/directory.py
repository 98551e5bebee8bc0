"""Admin SDK Directory API: ``GET /admin/directory/v1/users`` (paged with pageToken)."""

from __future__ import annotations

import hashlib
from typing import Any

from fakecloud import tokens
from fakecloud.google.auth import authorize
from fakecloud.google.errors import api_error
from fakecloud.google.store import GoogleStore, GoogleUser
from fakecloud.web import Request, Response, Router, json_response

SCOPES = {"https://www.googleapis.com/auth/admin.directory.user.readonly",
          "https://www.googleapis.com/auth/admin.directory.user"}
CUSTOMER_ID = "C0fake123"


def _etag(value: str) -> str:
    return '"' + hashlib.sha256(value.encode()).hexdigest()[:27] + '"'


def user_json(user: GoogleUser) -> dict[str, Any]:
    given, _, family = user.full_name.partition(" ")
    return {
        "kind": "admin#directory#user",
        "id": user.id,
        "etag": _etag(user.email),
        "primaryEmail": user.email,
        "name": {"givenName": given, "familyName": family, "fullName": user.full_name},
        "isAdmin": user.is_admin,
        "isDelegatedAdmin": False,
        "lastLoginTime": "1970-01-01T00:00:00.000Z",
        "creationTime": "2024-01-01T00:00:00.000Z",
        "agreedToTerms": True,
        "suspended": user.suspended,
        "archived": False,
        "changePasswordAtNextLogin": False,
        "ipWhitelisted": False,
        "emails": [{"address": user.email, "primary": True}],
        "customerId": CUSTOMER_ID,
        "orgUnitPath": "/",
        "isMailboxSetup": user.mailbox,
        "isEnrolledIn2Sv": False,
        "isEnforcedIn2Sv": False,
        "includeInGlobalAddressList": True,
    }


class DirectoryService:
    def __init__(self, store: GoogleStore) -> None:
        self.store = store

    def register(self, router: Router) -> None:
        router.add("GET", r"/admin/directory/v1/users", self.list_users)

    def list_users(self, request: Request) -> Response:
        issued = authorize(self.store, request, SCOPES)
        if isinstance(issued, Response):
            return issued
        caller = self.store.user(issued.subject)
        if caller is None or not caller.is_admin:
            return api_error(403, "forbidden", "Not Authorized to access this resource/api")
        if not request.arg("customer") and not request.arg("domain"):
            return api_error(400, "badRequest", "Bad Request")
        with self.store.lock:
            users = sorted(self.store.users.values(), key=lambda u: u.email)
            state = tokens.decode(request.arg("pageToken") or "") or {"o": 0}
            offset = int(state.get("o", 0))
            size = min(int(request.arg("maxResults") or 100), 500)
            body: dict[str, Any] = {"kind": "admin#directory#users", "etag": _etag(str(offset)),
                                    "users": [user_json(u) for u in users[offset:offset + size]]}
            if offset + size < len(users):
                body["nextPageToken"] = tokens.encode({"o": offset + size})
            return json_response(200, body)
