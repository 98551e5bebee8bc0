"""Bearer-token and scope checks shared by the Google API emulators."""

from __future__ import annotations

import time

from fakecloud.google.errors import api_error
from fakecloud.google.store import GoogleStore, GoogleToken
from fakecloud.web import Request, Response


def authorize(store: GoogleStore, request: Request, accepted: set[str]) -> GoogleToken | Response:
    token = request.bearer()
    issued = store.tokens.get(token or "")
    if issued is None or issued.expires_at < time.time():
        return api_error(401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 "
                                           "access token, login cookie or other valid authentication credential.",
                         headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
    if not issued.scopes & accepted:
        return api_error(403, "insufficientPermissions", "Request had insufficient authentication scopes.")
    return issued
