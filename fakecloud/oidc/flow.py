"""The authorization code flow (with PKCE) shared by both providers.

``authorize`` shows the sign-in page; its form posts back and, for a known user, redirects to
``redirect_uri?code=..&state=..``. ``token`` redeems a code once for an ID token (RS256, signed
with the provider's current key unless a ``next_id_token`` override says otherwise) and a
delegated access token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import unquote, urlencode

from fakecloud.oidc.dialects import MULTI_TENANT, Dialect
from fakecloud.oidc.keys import SigningKey, b64url
from fakecloud.oidc.pages import error_page, sign_in_page
from fakecloud.oidc.state import CODE_LIFETIME, Client, Code, OidcState
from fakecloud.web import Request, Response, json_response

PROMPTS = ("login", "consent", "select_account")


def redirect(uri: str, params: dict[str, str]) -> Response:
    separator = "&" if "?" in uri else "?"
    return Response(302, b"", {"Location": uri + separator + urlencode(params), "Cache-Control": "no-store"})


class CodeFlow:
    def __init__(self, state: OidcState, dialect: Dialect) -> None:
        self.state = state
        self.dialect = dialect
        self.service = dialect.service

    # --- authorize --------------------------------------------------------------------
    def authorize(self, request: Request, tenant: str = "") -> Response:
        """GET shows the sign-in page; POST (the page's form) signs the user in and redirects."""
        params = request.form() if request.method == "POST" else {k: v[0] for k, v in request.query.items()}
        self.state.count(self.service, "authorize" if request.method == "GET" else "sign_in")
        client = self.state.client(self.service, params.get("client_id", ""))
        if client is None:
            return error_page(self.service, 400, f"Application with identifier '{params.get('client_id', '')}' "
                                                 "was not found (unknown client_id).")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            return error_page(self.service, 400, f"The redirect URI '{redirect_uri}' specified in the request "
                                                 "does not match the redirect URIs configured for the application.")
        problem = self._request_problem(params)
        if problem is not None:
            error, description = problem
            answer = {"error": error, "error_description": description}
            if "state" in params:
                answer["state"] = params["state"]
            return redirect(redirect_uri, answer)
        if request.method == "GET":
            return sign_in_page(self.service, self.dialect.authorize_path(tenant), params,
                                params.get("login_hint", ""))
        return self._sign_in(params, client, tenant)

    def _request_problem(self, params: dict[str, str]) -> tuple[str, str] | None:
        if params.get("response_type") != "code":
            return "unsupported_response_type", "Only response_type=code is supported."
        if params.get("response_mode", "query") != "query":
            return "invalid_request", f"response_mode '{params['response_mode']}' is not supported (query only)."
        if "openid" not in params.get("scope", "").split():
            return "invalid_scope", "The scope must include 'openid'."
        if params.get("code_challenge") and params.get("code_challenge_method", "plain") not in ("plain", "S256"):
            return "invalid_request", "code_challenge_method must be S256 or plain."
        prompt = params.get("prompt", "")
        if prompt == "none":
            return "login_required", "The user is not signed in (prompt=none)."
        if prompt and prompt not in PROMPTS:
            return "invalid_request", f"Unsupported prompt '{prompt}'."
        return None

    def _sign_in(self, params: dict[str, str], client: Client, tenant: str) -> Response:
        email = params.get("email", "").strip()
        user = self.state.user(self.service, email)
        if user is None:
            return error_page(self.service, 400, f"The account '{email}' does not exist.")
        if self.service == "ms" and tenant not in MULTI_TENANT and tenant != user.tenant:
            return error_page(self.service, 400, f"User account '{email}' does not exist in tenant '{tenant}' "
                                                 "and cannot access the application in that tenant.")
        code = self.state.new_code(Code(
            self.service, client.client_id, params["redirect_uri"], user, params.get("scope", ""),
            params.get("nonce"), params.get("code_challenge") or None, params.get("code_challenge_method", "plain"),
            time.time() + CODE_LIFETIME))
        answer = {"code": code}
        if "state" in params:
            answer["state"] = params["state"]
        return redirect(params["redirect_uri"], answer)

    # --- token ------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        """``grant_type=authorization_code``: client_secret_post or client_secret_basic."""
        self.state.count(self.service, "token")
        form = request.form()
        client_id, secret = self._client_credentials(request, form)
        client = self.state.client(self.service, client_id)
        if client is None:
            return self.dialect.error(401 if self.service == "google" else 400,
                                      "invalid_client" if self.service == "google" else "unauthorized_client",
                                      700016, f"Application with identifier '{client_id}' was not found. "
                                              "The OAuth client was not found.")
        if not hmac.compare_digest(secret.encode(), client.client_secret.encode()):
            return self.dialect.error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        with self.state.lock:
            code = self.state.codes.get(form.get("code", ""))
            if code is None or code.service != self.service:
                return self.dialect.error(400, "invalid_grant", 9002313, "Malformed auth code.")
            if code.redeemed:
                self.state.counters[self.service]["code_replays"] += 1
                return self.dialect.error(400, "invalid_grant", 54005, "OAuth2 Authorization code was already "
                                                                       "redeemed, please retry with a new valid code.")
            problem = self._code_problem(code, client, form)
            if problem is not None:
                return problem
            code.redeemed = True
        if self.state.user(self.service, code.user.email) is None:
            return self.dialect.error(400, "invalid_grant", 50034, "The user account does not exist any more.")
        access = self.state.new_token(self.service, code.user, client.client_id, code.scope)
        body = {**self.dialect.token_fields(code.scope), "access_token": access,
                "id_token": self._id_token(request.base_url, code, access)}
        self.state.count(self.service, "tokens_issued")
        return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    @staticmethod
    def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            try:
                client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return "", ""
            return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))
        return form.get("client_id", ""), form.get("client_secret", "")

    def _code_problem(self, code: Code, client: Client, form: dict[str, str]) -> Response | None:
        error = self.dialect.error
        if form.get("grant_type") != "authorization_code":
            return error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if code.expires < time.time():
            return error(400, "invalid_grant", 70008, "The provided authorization code has expired.")
        if code.client_id != client.client_id:
            return error(400, "invalid_grant", 70000, "The code was issued to another client.")
        if form.get("redirect_uri", "") != code.redirect_uri:
            return error(400, "redirect_uri_mismatch" if self.service == "google" else "invalid_grant", 500112,
                         f"The reply address '{form.get('redirect_uri', '')}' does not match the reply address "
                         "provided when requesting the authorization code.")
        if code.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier:
                return error(400, "invalid_grant" if self.service == "google" else "invalid_request", 50148,
                             "Missing code verifier.")
            expected = (b64url(hashlib.sha256(verifier.encode()).digest())
                        if code.code_challenge_method == "S256" else verifier)
            if not hmac.compare_digest(expected.encode(), code.code_challenge.encode()):
                return error(400, "invalid_grant", 501481, "The code_verifier does not match the "
                                                           "code_challenge supplied in the authorization request.")
        return None

    def _id_token(self, base: str, code: Code, access: str) -> str:
        claims = self.dialect.id_claims(base, code.user, code.client_id, code.nonce, access)
        override = self.state.take_override(self.service)
        key = self.state.keys[self.service].current
        if override is not None:
            for name, value in override.claims.items():
                if value is None:
                    claims.pop(name, None)
                else:
                    claims[name] = value
            if override.sign_with == "unknown-key":
                key = SigningKey.generate()
            elif override.sign_with is not None:
                key = self.state.keys[self.service].find(override.sign_with) or key
        return key.sign(claims)
