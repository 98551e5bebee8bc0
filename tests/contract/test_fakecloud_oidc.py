"""The emulated OpenID providers (Entra ID v2.0 and Google) as a standards-compliant client sees them.

Authlib drives the authorization code flow with PKCE over plain HTTP; joserfc verifies every ID
token against the provider's published JWKS, so a wrong ``kid``, key or claim fails here exactly
as it would fail in Kustos.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError, InvalidKeyIdError
from joserfc.jwk import KeySet

from fakecloud.oidc.signin import SignInError, sign_in
from fakecloud.testing import FakeCloudProcess, running_fakecloud

TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
OTHER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
REDIRECT = "http://kustos.test/sso/callback"


@pytest.fixture(scope="module")
def cloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture
def http(cloud: FakeCloudProcess) -> Iterator[httpx.Client]:
    cloud.control.call("reset")
    with httpx.Client(base_url=cloud.base_url, timeout=30) as client:
        yield client


def ms_app(cloud: FakeCloudProcess) -> dict[str, Any]:
    return cloud.control.oidc_client("ms", [REDIRECT], tenant=TENANT, client_id="kustos-app", client_secret="s3cret")


def discovery(http: httpx.Client, url: str) -> dict[str, Any]:
    answer = http.get(url)
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def code_flow(cloud: FakeCloudProcess, discovery_url: str, client_id: str, client_secret: str, email: str,
              auth_method: str = "client_secret_post") -> tuple[dict[str, Any], str, dict[str, Any]]:
    """Authlib's code flow with S256 PKCE; ``(token response, nonce, discovery document)``."""
    with httpx.Client(timeout=30) as http:
        meta = discovery(http, discovery_url)
    session = OAuth2Session(client_id, client_secret, scope="openid email profile", redirect_uri=REDIRECT,
                            code_challenge_method="S256", token_endpoint_auth_method=auth_method)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier,
                                                  nonce=nonce, login_hint=email)
    location = sign_in(url)
    assert location.startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(location).query)["state"] == [state]
    token = session.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier=verifier)
    return dict(token), nonce, meta


def verified_claims(jwks_url: str, id_token: str, issuer: str, audience: str, nonce: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(httpx.get(jwks_url, timeout=30).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer}, aud={"essential": True, "value": audience},
                          nonce={"essential": True, "value": nonce}, exp={"essential": True},
                          iat={"essential": True}, sub={"essential": True}, leeway=60).validate(token.claims)
    assert token.header["kid"] in {k["kid"] for k in httpx.get(jwks_url, timeout=30).json()["keys"]}
    return dict(token.claims)


def header(id_token: str) -> dict[str, Any]:
    part = id_token.split(".")[0]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value


# --- discovery -------------------------------------------------------------------------------
def test_entra_discovery_documents(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    base = cloud.base_url
    meta = discovery(http, f"/{TENANT}/v2.0/.well-known/openid-configuration")
    assert meta["issuer"] == f"{base}/{TENANT}/v2.0"
    assert meta["authorization_endpoint"] == f"{base}/{TENANT}/oauth2/v2.0/authorize"
    assert meta["token_endpoint"] == f"{base}/{TENANT}/oauth2/v2.0/token"
    assert meta["jwks_uri"] == f"{base}/{TENANT}/discovery/v2.0/keys"
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "code" in meta["response_types_supported"] and "openid" in meta["scopes_supported"]
    assert {"sub", "iss", "aud", "exp", "iat", "nonce", "tid", "preferred_username"} <= set(meta["claims_supported"])
    for multi in ("common", "organizations"):  # Microsoft publishes the issuer as a template there
        common = discovery(http, f"/{multi}/v2.0/.well-known/openid-configuration")
        assert common["issuer"] == f"{base}/{{tenantid}}/v2.0"
        assert common["authorization_endpoint"] == f"{base}/{multi}/oauth2/v2.0/authorize"
    keys = http.get(f"/{TENANT}/discovery/v2.0/keys").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["use"] == "sig" and keys[0]["kid"]
    assert {"n", "e"} <= set(keys[0])


def test_google_discovery_document(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    base = cloud.base_url
    meta = discovery(http, "/.well-known/openid-configuration")
    assert meta["issuer"] == base
    assert meta["authorization_endpoint"] == f"{base}/o/oauth2/v2/auth"
    assert meta["token_endpoint"] == f"{base}/token"
    assert meta["jwks_uri"] == f"{base}/oauth2/v3/certs"
    assert "S256" in meta["code_challenge_methods_supported"]
    assert {"email", "email_verified", "sub"} <= set(meta["claims_supported"])
    assert http.get("/oauth2/v3/certs").json()["keys"][0]["alg"] == "RS256"
    assert cloud.control.oidc_stats()["services"]["google"]["discovery"] == 1


# --- the full code flow ------------------------------------------------------------------------
def test_entra_code_flow_with_pkce_gives_a_verifiable_id_token_and_graph_addresses(
        cloud: FakeCloudProcess, http: httpx.Client) -> None:
    app = ms_app(cloud)
    assert app["client_id"] == "kustos-app" and app["discovery_url"].endswith(f"/{TENANT}/v2.0/.well-known/"
                                                                           "openid-configuration")
    user = cloud.control.oidc_user("ms", "anna@contoso.example", tenant=TENANT, name="Anna Admin",
                                   groups=["a1b2c3d4-0000-4000-8000-000000000001"], aliases=["info@contoso.example"],
                                   mfa=True)
    token, nonce, meta = code_flow(cloud, f"{cloud.base_url}/common/v2.0/.well-known/openid-configuration",
                                   "kustos-app", "s3cret", "anna@contoso.example")
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0
    claims = verified_claims(meta["jwks_uri"], token["id_token"], f"{cloud.base_url}/{TENANT}/v2.0", "kustos-app",
                             nonce)
    assert claims["tid"] == TENANT and claims["oid"] == user["oid"] and claims["ver"] == "2.0"
    assert claims["email"] == claims["preferred_username"] == "anna@contoso.example"
    assert claims["name"] == "Anna Admin"
    assert claims["groups"] == ["a1b2c3d4-0000-4000-8000-000000000001"]
    assert claims["amr"] == ["pwd", "mfa"]
    assert claims["nbf"] <= time.time() + 5 and claims["exp"] - claims["iat"] == 3600
    me = http.get("/v1.0/me", params={"$select": "mail,userPrincipalName,proxyAddresses"},
                  headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200, me.text
    assert {k: v for k, v in me.json().items() if not k.startswith("@")} == {
        "mail": "anna@contoso.example", "userPrincipalName": "anna@contoso.example",
        "proxyAddresses": ["SMTP:anna@contoso.example", "smtp:info@contoso.example"]}
    assert http.get("/v1.0/me", headers={"Authorization": "Bearer forged"}).status_code == 401
    stats = cloud.control.oidc_stats()["services"]["ms"]
    assert stats["authorize"] == 1 and stats["sign_in"] == 1 and stats["token"] == 1 and stats["tokens_issued"] == 1


def test_entra_user_without_mfa_has_password_amr_and_no_groups_claim(cloud: FakeCloudProcess,
                                                                     http: httpx.Client) -> None:
    ms_app(cloud)
    cloud.control.oidc_user("ms", "eve@contoso.example", tenant=TENANT)
    token, nonce, meta = code_flow(cloud, f"{cloud.base_url}/{TENANT}/v2.0/.well-known/openid-configuration",
                                   "kustos-app", "s3cret", "eve@contoso.example", auth_method="client_secret_basic")
    claims = verified_claims(meta["jwks_uri"], token["id_token"], meta["issuer"], "kustos-app", nonce)
    assert claims["amr"] == ["pwd"] and "groups" not in claims and claims["xms_edov"] is True
    cloud.control.oidc_user("ms", "guest@partner.example", tenant=TENANT, email_verified=False)
    token, nonce, meta = code_flow(cloud, f"{cloud.base_url}/{TENANT}/v2.0/.well-known/openid-configuration",
                                   "kustos-app", "s3cret", "guest@partner.example")
    claims = verified_claims(meta["jwks_uri"], token["id_token"], meta["issuer"], "kustos-app", nonce)
    assert claims["email"] == "guest@partner.example" and claims["xms_edov"] is False


def test_google_code_flow_with_hosted_domain(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    app = cloud.control.oidc_client("google", [REDIRECT])
    assert app["client_id"].endswith(".apps.googleusercontent.com") and app["client_secret"]
    user = cloud.control.oidc_user("google", "bob@example.org", name="Bob")
    token, nonce, meta = code_flow(cloud, app["discovery_url"], app["client_id"], app["client_secret"],
                                   "bob@example.org", auth_method="client_secret_basic")
    claims = verified_claims(meta["jwks_uri"], token["id_token"], cloud.base_url, app["client_id"], nonce)
    assert claims["sub"] == user["sub"] and claims["hd"] == "example.org" and claims["email_verified"] is True
    assert claims["email"] == "bob@example.org" and claims["name"] == "Bob"
    assert "groups" not in claims and "amr" not in claims
    digest = hashlib.sha256(token["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    info = http.get("/v1/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert info == {"sub": user["sub"], "name": "Bob", "email": "bob@example.org", "email_verified": True,
                    "hd": "example.org"}


def test_google_consumer_account_has_no_hd_and_can_be_unverified(cloud: FakeCloudProcess,
                                                                 http: httpx.Client) -> None:
    app = cloud.control.oidc_client("google", [REDIRECT])
    cloud.control.oidc_user("google", "carol@gmail.com", email_verified=False)
    token, nonce, meta = code_flow(cloud, app["discovery_url"], app["client_id"], app["client_secret"],
                                   "carol@gmail.com")
    claims = verified_claims(meta["jwks_uri"], token["id_token"], cloud.base_url, app["client_id"], nonce)
    assert "hd" not in claims and claims["email_verified"] is False


# --- codes, PKCE, the token endpoint's errors ---------------------------------------------------
def authorized_code(cloud: FakeCloudProcess, email: str, challenge: str | None = None,
                    state: str = "xyz") -> str:
    params = {"client_id": "kustos-app", "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid email",
              "state": state, "nonce": "n-1"}
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    query = httpx.QueryParams(params)
    location = sign_in(f"{cloud.base_url}/common/oauth2/v2.0/authorize?{query}", email)
    return parse_qs(urlsplit(location).query)["code"][0]


def redeem(http: httpx.Client, code: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": "kustos-app",
            "client_secret": "s3cret", **extra}
    return http.post(f"/{TENANT}/oauth2/v2.0/token", data=form)


def test_an_authorization_code_is_single_use(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    ms_app(cloud)
    cloud.control.oidc_user("ms", "anna@contoso.example", tenant=TENANT)
    code = authorized_code(cloud, "anna@contoso.example")
    first = redeem(http, code)
    assert first.status_code == 200 and first.json()["id_token"].count(".") == 2
    again = redeem(http, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert again.json()["error_codes"] == [54005]
    assert cloud.control.oidc_stats()["code_replays"] == 1
    with pytest.raises(OAuthError, match="invalid_grant"):  # as authlib reports it
        OAuth2Session("kustos-app", "s3cret", redirect_uri=REDIRECT).fetch_token(
            f"{cloud.base_url}/{TENANT}/oauth2/v2.0/token", code=code, grant_type="authorization_code")


def test_pkce_verifier_is_checked(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    ms_app(cloud)
    cloud.control.oidc_user("ms", "anna@contoso.example", tenant=TENANT)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    code = authorized_code(cloud, "anna@contoso.example", challenge)
    assert redeem(http, code).json()["error"] == "invalid_request"  # no verifier
    wrong = redeem(http, code, code_verifier=secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["error_codes"] == [501481]
    assert redeem(http, code, code_verifier=verifier).status_code == 200


def test_token_endpoint_errors_are_oauth_json(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    ms_app(cloud)
    cloud.control.oidc_user("ms", "anna@contoso.example", tenant=TENANT)
    code = authorized_code(cloud, "anna@contoso.example")
    bad_secret = redeem(http, code, client_secret="wrong")
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
    other_redirect = redeem(http, code, redirect_uri="http://evil.test/cb")
    assert other_redirect.status_code == 400 and other_redirect.json()["error"] == "invalid_grant"
    assert redeem(http, "no-such-code").json()["error"] == "invalid_grant"
    assert redeem(http, code).status_code == 200  # failed attempts did not use the code up
    google = http.post("/token", data={"grant_type": "authorization_code", "code": "x", "client_id": "nobody",
                                       "client_secret": "x", "redirect_uri": REDIRECT})
    assert google.status_code == 401 and google.json()["error"] == "invalid_client"


def test_client_credentials_grant_still_works(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    cloud.control.ms_app(TENANT, "daemon", "pw", ["Mail.Read"])
    answer = http.post(f"/{TENANT}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": "daemon", "client_secret": "pw",
        "scope": "https://graph.microsoft.com/.default"})
    assert answer.status_code == 200 and answer.json()["access_token"]


# --- the sign-in page ---------------------------------------------------------------------------
def authorize_url(cloud: FakeCloudProcess, tenant: str = "common", **extra: str) -> str:
    params = {"client_id": "kustos-app", "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid",
              "state": "s", **extra}
    return f"{cloud.base_url}/{tenant}/oauth2/v2.0/authorize?{httpx.QueryParams(params)}"


def test_sign_in_page_is_prefilled_and_echoes_state_unchanged(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    ms_app(cloud)
    cloud.control.oidc_user("ms", "anna@contoso.example", tenant=TENANT)
    state = "a b&c=d/é"
    page = http.get(authorize_url(cloud, login_hint="anna@contoso.example", state=state))
    assert page.status_code == 200 and "Sign in to Microsoft (emulated)" in page.text
    assert re.search(r'<input type="email" id="email" name="email" value="anna@contoso.example"', page.text)
    assert 'id="signin"' in page.text
    location = sign_in(authorize_url(cloud, login_hint="anna@contoso.example", state=state))
    assert parse_qs(urlsplit(location).query)["state"] == [state]
    google = cloud.control.oidc_client("google", [REDIRECT])
    page = http.get("/o/oauth2/v2/auth", params={"client_id": google["client_id"], "response_type": "code",
                                                 "redirect_uri": REDIRECT, "scope": "openid email"})
    assert "Sign in to Google (emulated)" in page.text


def test_sign_in_refusals(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    ms_app(cloud)
    cloud.control.oidc_user("ms", "mallory@fabrikam.example", tenant=OTHER_TENANT)
    with pytest.raises(SignInError, match="does not exist"):
        sign_in(authorize_url(cloud), "nobody@contoso.example")
    with pytest.raises(SignInError, match=f"does not exist in tenant '{TENANT}'"):
        sign_in(authorize_url(cloud, tenant=TENANT), "mallory@fabrikam.example")
    # the multi-tenant endpoint signs the other tenant's user in; its token names that tenant
    assert "code=" in sign_in(authorize_url(cloud), "mallory@fabrikam.example")
    unregistered = http.get(authorize_url(cloud, redirect_uri="http://evil.test/cb"))
    assert unregistered.status_code == 400 and "does not match the redirect URIs" in unregistered.text
    assert http.get(authorize_url(cloud, client_id="nobody")).status_code == 400
    refused = http.get(authorize_url(cloud, response_mode="form_post"))
    assert refused.status_code == 302 and "error=invalid_request" in refused.headers["location"]
    silent = http.get(authorize_url(cloud, prompt="none"))
    assert parse_qs(urlsplit(silent.headers["location"]).query) == {
        "error": ["login_required"], "error_description": ["The user is not signed in (prompt=none)."],
        "state": ["s"]}


# --- keys and failure-case tokens ---------------------------------------------------------------
def test_key_rotation_keeps_old_keys_unless_dropped(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    ms_app(cloud)
    cloud.control.oidc_user("ms", "anna@contoso.example", tenant=TENANT)
    jwks = f"/{TENANT}/discovery/v2.0/keys"
    before = http.get(jwks).json()["keys"][0]["kid"]
    old_token = redeem(http, authorized_code(cloud, "anna@contoso.example")).json()["id_token"]
    assert header(old_token)["kid"] == before
    rotated = cloud.control.oidc_rotate_keys("ms")
    assert rotated["kids"] == [before, rotated["kid"]] and rotated["kid"] != before
    assert {k["kid"] for k in http.get(jwks).json()["keys"]} == {before, rotated["kid"]}
    new_token = redeem(http, authorized_code(cloud, "anna@contoso.example")).json()["id_token"]
    assert header(new_token)["kid"] == rotated["kid"]
    keys = KeySet.import_key_set(http.get(jwks).json())
    for token in (old_token, new_token):
        assert jwt.decode(token, keys).claims["tid"] == TENANT
    dropped = cloud.control.oidc_rotate_keys("ms", drop_old=True)
    assert [k["kid"] for k in http.get(jwks).json()["keys"]] == [dropped["kid"]] == dropped["kids"]
    with pytest.raises(InvalidKeyIdError):  # no key with the old kid any more
        jwt.decode(old_token, KeySet.import_key_set(http.get(jwks).json()))
    assert cloud.control.oidc_stats()["services"]["google"]["jwks"] == 0  # each provider has its own keys


def test_next_id_token_overrides_apply_once(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    ms_app(cloud)
    cloud.control.oidc_user("ms", "anna@contoso.example", tenant=TENANT)
    issuer = f"{cloud.base_url}/{TENANT}/v2.0"
    jwks_url = f"{cloud.base_url}/{TENANT}/discovery/v2.0/keys"

    def next_token() -> str:
        answer = redeem(http, authorized_code(cloud, "anna@contoso.example"))
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["id_token"]
        return token

    cloud.control.oidc_next_id_token("ms", aud="someone-else")
    with pytest.raises(InvalidClaimError, match="aud"):
        verified_claims(jwks_url, next_token(), issuer, "kustos-app", "n-1")
    assert verified_claims(jwks_url, next_token(), issuer, "kustos-app", "n-1")["aud"] == "kustos-app"
    cloud.control.oidc_next_id_token("ms", exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
    with pytest.raises(ExpiredTokenError):
        verified_claims(jwks_url, next_token(), issuer, "kustos-app", "n-1")
    cloud.control.oidc_next_id_token("ms", sign_with="unknown-key")
    foreign = next_token()
    assert header(foreign)["kid"] not in {k["kid"] for k in http.get(jwks_url).json()["keys"]}
    with pytest.raises(InvalidKeyIdError):
        jwt.decode(foreign, KeySet.import_key_set(http.get(jwks_url).json()))
    cloud.control.oidc_next_id_token("ms", nonce=None, tid=OTHER_TENANT)
    claims = jwt.decode(next_token(), KeySet.import_key_set(http.get(jwks_url).json())).claims
    assert "nonce" not in claims and claims["tid"] == OTHER_TENANT
    # a token signed by a published key but altered afterwards fails the signature check
    head, payload, signature = next_token().split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["email"] = "ceo@contoso.example"
    tampered = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{head}.{tampered}.{signature}", KeySet.import_key_set(http.get(jwks_url).json()))


# --- control API ------------------------------------------------------------------------------
def test_control_api_validates_and_reset_clears_oidc_state(cloud: FakeCloudProcess, http: httpx.Client) -> None:
    bad = http.post("/_fakecloud/oidc/user", json={"service": "okta", "email": "a@b.example"})
    assert bad.status_code == 400 and bad.json()["error"] == "ValueError: service must be one of ms, google, not 'okta'"
    assert http.post("/_fakecloud/oidc/user", json={"service": "ms", "email": "a@b.example"}).status_code == 400
    assert http.post("/_fakecloud/oidc/client", json={"service": "google", "redirect_uris": "x"}).status_code == 400
    assert http.post("/_fakecloud/oidc/nope", json={}).status_code == 404
    ms_app(cloud)
    cloud.control.oidc_user("ms", "anna@contoso.example", tenant=TENANT)
    kid = http.get(f"/{TENANT}/discovery/v2.0/keys").json()["keys"][0]["kid"]
    cloud.control.oidc_remove_user("ms", "anna@contoso.example")
    with pytest.raises(SignInError, match="does not exist"):
        sign_in(authorize_url(cloud), "anna@contoso.example")
    cloud.control.call("reset")
    assert http.get(authorize_url(cloud)).status_code == 400  # the app registration is gone
    assert http.get(f"/{TENANT}/discovery/v2.0/keys").json()["keys"][0]["kid"] != kid
    assert cloud.control.oidc_stats()["authorize"] == 1


def test_entra_userinfo_and_logout_endpoints_of_the_discovery_document(cloud: FakeCloudProcess,
                                                                        http: httpx.Client) -> None:
    ms_app(cloud)
    cloud.control.oidc_user("ms", "anna@contoso.example", tenant=TENANT, name="Anna")
    meta = discovery(http, f"/{TENANT}/v2.0/.well-known/openid-configuration")
    answer = redeem(http, authorized_code(cloud, "anna@contoso.example")).json()
    sub = jwt.decode(answer["id_token"], KeySet.import_key_set(http.get(meta["jwks_uri"]).json())).claims["sub"]
    info = http.get(meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {answer['access_token']}"})
    assert info.json() == {"sub": sub, "name": "Anna", "email": "anna@contoso.example"}
    assert http.get(meta["userinfo_endpoint"]).status_code == 401
    out = http.get(meta["end_session_endpoint"], params={"post_logout_redirect_uri": "http://kustos.test/"})
    assert out.status_code == 302 and out.headers["location"] == "http://kustos.test/"


def test_google_token_errors_and_signing_with_an_older_published_key(cloud: FakeCloudProcess,
                                                                      http: httpx.Client) -> None:
    app = cloud.control.oidc_client("google", [REDIRECT])
    cloud.control.oidc_user("google", "bob@example.org")
    query = httpx.QueryParams({"client_id": app["client_id"], "response_type": "code", "redirect_uri": REDIRECT,
                               "scope": "openid email", "state": "g"})

    def code() -> str:
        return parse_qs(urlsplit(sign_in(f"{cloud.base_url}/o/oauth2/v2/auth?{query}", "bob@example.org")).query)[
            "code"][0]

    def redeem_google(value: str, **extra: str) -> httpx.Response:
        return http.post("/token", data={"grant_type": "authorization_code", "code": value, "redirect_uri": REDIRECT,
                                         **extra}, auth=(app["client_id"], app["client_secret"]))

    first = code()
    mismatch = redeem_google(first, redirect_uri="http://kustos.test/other")
    assert mismatch.status_code == 400 and mismatch.json()["error"] == "redirect_uri_mismatch"
    assert "error_codes" not in mismatch.json()  # Google's OAuth error body is the plain RFC 6749 one
    assert redeem_google(first).status_code == 200
    replay = redeem_google(first)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    old_kid = http.get("/oauth2/v3/certs").json()["keys"][0]["kid"]
    new_kid = cloud.control.oidc_rotate_keys("google")["kid"]
    assert header(redeem_google(code()).json()["id_token"])["kid"] == new_kid
    cloud.control.oidc_next_id_token("google", sign_with=old_kid)
    older = redeem_google(code()).json()["id_token"]
    assert header(older)["kid"] == old_kid
    assert jwt.decode(older, KeySet.import_key_set(http.get("/oauth2/v3/certs").json())).claims["hd"] == "example.org"
    bad = http.post("/_fakecloud/oidc/next_id_token", json={"service": "google", "sign_with": "no-such-kid"})
    assert bad.status_code == 400 and "sign_with must be" in bad.json()["error"]
    stats = cloud.control.oidc_stats()
    assert stats["services"]["google"]["code_replays"] == 1 and stats["services"]["ms"]["token"] == 0
