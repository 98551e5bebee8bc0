"""Microsoft identity platform: ``POST /{tenant}/oauth2/v2.0/token`` (client credentials).

The ``authorization_code`` grant (OpenID sign-in) is handed to the OIDC provider (``fakecloud/oidc``).
"""

from __future__ import annotations

from collections.abc import Callable

from fakecloud.microsoft.errors import aad_error
from fakecloud.microsoft.store import MicrosoftStore
from fakecloud.web import Request, Response, Router, json_response


class IdentityService:
    def __init__(self, store: MicrosoftStore, code_grant: Callable[[Request], Response] | None = None) -> None:
        self.store = store
        self.code_grant = code_grant

    def register(self, router: Router) -> None:
        router.add("POST", r"/(?P<tenant>[^/_][^/]*)/oauth2/v2\.0/token", self.token)

    def token(self, request: Request) -> Response:
        form = request.form()
        tenant = request.params["tenant"]
        if form.get("grant_type") == "authorization_code" and self.code_grant is not None:
            return self.code_grant(request)
        if form.get("grant_type") != "client_credentials":
            return aad_error(400, "unsupported_grant_type", 70003,
                             "The app requested an unsupported grant type.")
        apps = self.store.tenants.get(tenant)
        if apps is None:
            return aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        app = apps.get(form.get("client_id", ""))
        if app is None:
            return aad_error(400, "unauthorized_client", 700016,
                             f"Application with identifier '{form.get('client_id', '')}' was not found "
                             f"in the directory '{tenant}'.")
        if form.get("client_secret") != app.client_secret:
            return aad_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if not form.get("scope", "").endswith("/.default"):
            return aad_error(400, "invalid_scope", 1002012,
                             "The provided value for scope is not valid. Client credential flows "
                             "must have a scope value with /.default suffixed to the resource identifier.")
        token, lifetime = self.store.issue_token(tenant, app)
        return json_response(200, {"token_type": "Bearer", "expires_in": lifetime,
                                   "ext_expires_in": lifetime, "access_token": token})
