"""Routes of the emulated OpenID providers and their control API (``/_fakecloud/oidc/<op>``).

Entra ID: ``/{tenant}/v2.0/.well-known/openid-configuration``, ``/{tenant}/oauth2/v2.0/authorize``,
``/{tenant}/discovery/v2.0/keys``, ``/{tenant}/oauth2/v2.0/logout``, ``/oidc/userinfo`` and Graph ``/v1.0/me`` with the delegated token; the token
endpoint is the identity service's (``microsoft/identity.py`` hands ``authorization_code`` here).
Google: ``/.well-known/openid-configuration``, ``/o/oauth2/v2/auth``, ``/oauth2/v3/certs``,
``/v1/userinfo``; ``POST /token`` is ``google/oauth.py``'s, which hands the code grant here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fakecloud.microsoft.errors import graph_error
from fakecloud.oidc.dialects import DIALECTS, MULTI_TENANT
from fakecloud.oidc.flow import CodeFlow
from fakecloud.oidc.pages import message_page
from fakecloud.oidc.state import OidcState, check_service
from fakecloud.web import Request, Response, Router, json_response

TENANT = r"/(?P<tenant>[^/_][^/]*)"
JSON_CACHE = {"Cache-Control": "max-age=86400, private"}


class OidcService:
    def __init__(self, state: OidcState) -> None:
        self.state = state
        self.flows = {service: CodeFlow(state, dialect) for service, dialect in DIALECTS.items()}

    def code_grant(self, service: str) -> Callable[[Request], Response]:
        """The token endpoint's ``authorization_code`` grant, for the services that own ``/token``."""
        return self.flows[service].token

    def register(self, router: Router) -> None:
        ms, google = self.flows["ms"], self.flows["google"]
        router.add("GET", r"/_fakecloud/oidc/stats", lambda request: json_response(200, self.state.stats()))
        router.add("POST", r"/_fakecloud/oidc/(?P<op>[a-z_]+)", self.control)
        router.add("GET", TENANT + r"/v2\.0/\.well-known/openid-configuration", self.ms_discovery)
        router.add("GET", TENANT + r"/oauth2/v2\.0/authorize", lambda r: ms.authorize(r, r.params["tenant"]))
        router.add("POST", TENANT + r"/oauth2/v2\.0/authorize", lambda r: ms.authorize(r, r.params["tenant"]))
        router.add("GET", TENANT + r"/discovery/v2\.0/keys", lambda r: self.jwks("ms"))
        router.add("GET", TENANT + r"/oauth2/v2\.0/logout", self.ms_logout)
        router.add("GET", r"/v1\.0/me", self.graph_me)
        router.add("GET", r"/oidc/userinfo", self.ms_userinfo)
        router.add("GET", r"/\.well-known/openid-configuration", self.google_discovery)
        router.add("GET", r"/o/oauth2/v2/auth", google.authorize)
        router.add("POST", r"/o/oauth2/v2/auth", google.authorize)
        router.add("GET", r"/oauth2/v3/certs", lambda r: self.jwks("google"))
        router.add("GET", r"/v1/userinfo", self.google_userinfo)

    # --- discovery and keys -------------------------------------------------------------
    def ms_discovery(self, request: Request) -> Response:
        self.state.count("ms", "discovery")
        return json_response(200, DIALECTS["ms"].discovery(request.base_url, request.params["tenant"]), JSON_CACHE)

    def google_discovery(self, request: Request) -> Response:
        self.state.count("google", "discovery")
        return json_response(200, DIALECTS["google"].discovery(request.base_url, ""), JSON_CACHE)

    def jwks(self, service: str) -> Response:
        self.state.count(service, "jwks")
        with self.state.lock:
            keys = self.state.keys[service].jwks()
        return json_response(200, keys, JSON_CACHE)

    # --- what the delegated access token reads ------------------------------------------
    def graph_me(self, request: Request) -> Response:
        """``GET /v1.0/me[?$select=...]``: the signed-in user, primary address and ``smtp:`` aliases."""
        access = self.state.access("ms", request.bearer())
        if access is None:
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        user = access.user
        entity: dict[str, Any] = {
            "id": user.oid, "displayName": user.name, "mail": user.email, "userPrincipalName": user.email,
            "proxyAddresses": [f"SMTP:{user.email}"] + [f"smtp:{alias}" for alias in user.aliases],
            "businessPhones": [], "givenName": None, "surname": None, "jobTitle": None,
            "mobilePhone": None, "officeLocation": None, "preferredLanguage": None,
        }
        select = [s.strip() for s in (request.arg("$select") or "").split(",") if s.strip()]
        unknown = [name for name in select if name not in entity]
        if unknown:
            return graph_error(400, "BadRequest", f"Could not find a property named '{unknown[0]}' on type "
                                                  "'microsoft.graph.user'.")
        context = "https://graph.microsoft.com/v1.0/$metadata#users"
        if select:
            entity = {name: entity[name] for name in select}
            context += f"({','.join(select)})"
        return json_response(200, {"@odata.context": context + "/$entity", **entity})

    def ms_userinfo(self, request: Request) -> Response:
        """graph.microsoft.com/oidc/userinfo: the OIDC UserInfo claims of the delegated token's user."""
        access = self.state.access("ms", request.bearer())
        if access is None:
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        user = access.user
        return json_response(200, {"sub": user.subject(access.client_id), "name": user.name, "email": user.email})

    @staticmethod
    def ms_logout(request: Request) -> Response:
        """The end-session endpoint: back to ``post_logout_redirect_uri`` (the emulator keeps no session)."""
        target = request.arg("post_logout_redirect_uri")
        if target:
            return Response(302, b"", {"Location": target})
        return message_page("ms", "You signed out of your account.")

    def google_userinfo(self, request: Request) -> Response:
        self.state.count("google", "userinfo")
        access = self.state.access("google", request.bearer())
        if access is None:
            return json_response(401, {"error": "invalid_request",
                                       "error_description": "Invalid Credentials"},
                                 {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                                                      'error="invalid_token"'})
        user = access.user
        info = {"sub": user.subject(access.client_id), "name": user.name, "email": user.email,
                "email_verified": user.email_verified}
        if user.tenant:
            info["hd"] = user.tenant
        return json_response(200, info)

    # --- control ------------------------------------------------------------------------
    def control(self, request: Request) -> Response:
        op = self.ops().get(request.params["op"])
        if op is None:
            return json_response(404, {"error": f"unknown control operation oidc/{request.params['op']}"})
        try:
            args = request.json()
            if not isinstance(args, dict):
                raise TypeError("the body must be a JSON object")
            result = op(args, request.base_url)
        except (KeyError, ValueError, TypeError) as exc:
            return json_response(400, {"error": f"{type(exc).__name__}: {exc}"})
        return json_response(200, result if result is not None else {})

    def ops(self) -> dict[str, Callable[[dict[str, Any], str], Any]]:
        return {
            "client": self._client,
            "user": self._user,
            "remove_user": lambda a, base: self.state.remove_user(a["service"], a["email"]),
            "rotate_keys": self._rotate,
            "next_id_token": lambda a, base: self.state.set_override(a),
        }

    def _client(self, args: dict[str, Any], base: str) -> dict[str, Any]:
        client = self.state.add_client(args)
        tenant = client.tenant if client.service == "ms" else ""
        discovery = DIALECTS[client.service].discovery(base, tenant or "common")
        url = (f"{base}/{tenant}/v2.0/.well-known/openid-configuration" if client.service == "ms"
               else f"{base}/.well-known/openid-configuration")
        return {"client_id": client.client_id, "client_secret": client.client_secret, "discovery_url": url,
                "issuer": discovery["issuer"],
                "common_discovery_url": f"{base}/{MULTI_TENANT[0]}/v2.0/.well-known/openid-configuration"
                if client.service == "ms" else url}

    def _user(self, args: dict[str, Any], base: str) -> dict[str, Any]:
        user = self.state.add_user(args)
        answer = {"id": user.oid if user.service == "ms" else user.google_sub, "email": user.email}
        if user.service == "ms":
            answer.update({"oid": user.oid, "tid": user.tenant, "issuer": f"{base}/{user.tenant}/v2.0"})
        else:
            answer.update({"sub": user.google_sub, "hd": user.tenant})
        return answer

    def _rotate(self, args: dict[str, Any], base: str) -> dict[str, Any]:
        service = check_service(args.get("service"))
        with self.state.lock:
            keys = self.state.keys[service]
            key = keys.rotate(bool(args.get("drop_old", False)))
            return {"kid": key.kid, "kids": [k.kid for k in keys.keys]}
