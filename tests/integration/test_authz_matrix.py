"""Authorisation matrix: EVERY dashboard URL and EVERY API operation × every role × own,
sibling (same partner, other customer) and foreign (other partner) objects.

The URL patterns and OpenAPI operations are enumerated from the running configuration and
must equal the expectation tables below, so a new endpoint without a row fails this test.
For every request the real HTTP status is asserted, and the names of objects a role must
not see are asserted absent from the response body.

Codes: 200/201/202/204 success, 302 redirect (after a successful form post, or to the
login page for anonymous dashboard requests), 401 anonymous API, 403 forbidden action on a
visible object, 404 object outside the user's scope, 405 wrong method.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from kustos.api.root import api
from tests.integration import authz_world
from tests.integration.authz_world import ROLES, World
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

_ALL = "op pa pt ca eu au"
_SHORT = dict(zip(_ALL.split(), ROLES, strict=True))

# (method, route) -> (object kind or None, "anon=… op=… pa=… pt=… ca=… eu=… au=…")
# Object codes are own/sibling/foreign (or own/foreign for partner and token).
DASHBOARD: dict[tuple[str, str], tuple[str | None, str]] = {
    ("GET", "healthz"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", ""): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "login/"): (None, "anon=200 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("POST", "login/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "login/otp/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("POST", "login/otp/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "logout/"): (None, "anon=405 op=405 pa=405 pt=405 ca=405 eu=405 au=405"),
    ("POST", "logout/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "password-reset/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "password-reset/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "password-reset/sent/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "password-reset/<uidb64>/<token>/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "password-reset/complete/"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "account/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "account/language/"): (None, "anon=302 op=302 pa=302 pt=302 ca=302 eu=302 au=302"),
    ("GET", "account/password/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "account/password/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "account/tokens/"): (None, "anon=302 op=405 pa=405 pt=405 ca=405 eu=405 au=405"),
    ("POST", "account/tokens/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "account/tokens/<str:token_id>/revoke/"): (
        "token", "anon=302 op=302/404 pa=302/404 pt=302/404 ca=302/404 eu=302/404 au=302/404"),
    ("GET", "account/2fa/setup/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "account/2fa/setup/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "partners/"): (None, "anon=302 op=200 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("POST", "partners/"): (None, "anon=302 op=302 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("GET", "partners/<str:partner_id>/"): (
        "partner", "anon=302 op=200/200 pa=403/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("POST", "partners/<str:partner_id>/"): (
        "partner", "anon=302 op=302/302 pa=403/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("GET", "locations/"): (None, "anon=302 op=200 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("POST", "locations/"): (None, "anon=302 op=302 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("GET", "customers/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("GET", "customers/new/"): (None, "anon=302 op=200 pa=200 pt=200 ca=403 eu=403 au=403"),
    ("POST", "customers/new/"): (None, "anon=302 op=302 pa=302 pt=302 ca=403 eu=403 au=403"),
    ("GET", "customers/<str:customer_id>/"): (
        "customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("GET", "customers/<str:customer_id>/edit/"): (
        "customer", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=403/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("POST", "customers/<str:customer_id>/edit/"): (
        "customer", "anon=302 op=302/302/302 pa=302/302/404 pt=302/302/404 ca=403/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("GET", "customers/<str:customer_id>/delete/"): (
        "customer", "anon=302 op=200/200/200 pa=200/200/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("POST", "customers/<str:customer_id>/delete/"): (
        "customer", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 "
                    "au=403/404/404"),
    ("GET", "users/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("GET", "users/new/"): (None, "anon=302 op=200 pa=200 pt=403 ca=200 eu=403 au=403"),
    ("POST", "users/new/"): (None, "anon=302 op=302 pa=302 pt=403 ca=302 eu=403 au=403"),
    ("GET", "users/<str:user_id>/"): (
        "user", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=404/404/404 "
                "au=404/404/404"),
    ("POST", "users/<str:user_id>/role/"): (
        "user", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=404/404/404 "
                "au=404/404/404"),
    ("POST", "users/<str:user_id>/active/"): (
        "user", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=404/404/404 "
                "au=404/404/404"),
    ("POST", "users/<str:user_id>/grants/"): (
        "auditor", "anon=302 op=302/302/302 pa=302/302/404 pt=403/403/404 ca=302/404/404 eu=404/404/404 "
                   "au=404/404/404"),
    ("GET", "jobs/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("GET", "jobs/<str:job_id>/"): (
        "job", "anon=302 op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=404/404/404 "
               "au=404/404/404"),
    ("GET", "help/"): (None, "anon=302 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    # Django-side routes of the API package that are not OpenAPI operations.
    ("GET", "api/v1/"): (None, "anon=404 op=404 pa=404 pt=404 ca=404 eu=404 au=404"),
    ("GET", "api/v1/openapi.json"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "api/v1/docs"): (None, "anon=200 op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
}

_OBJ = "op=200/200/200 pa=200/200/404 pt=200/200/404 ca=200/404/404"
API: dict[tuple[str, str], tuple[str | None, str]] = {
    ("GET", "/api/v1/partners"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "/api/v1/partners"): (None, "op=201 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/partners/{partner_id}"): (
        "partner", "op=200/200 pa=403/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("PATCH", "/api/v1/partners/{partner_id}"): (
        "partner", "op=200/200 pa=403/404 pt=403/404 ca=404/404 eu=404/404 au=404/404"),
    ("GET", "/api/v1/locations"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "/api/v1/locations"): (None, "op=201 pa=403 pt=403 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/customers"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "/api/v1/customers"): (None, "op=201 pa=201 pt=201 ca=403 eu=403 au=403"),
    ("GET", "/api/v1/customers/{customer_id}"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("PATCH", "/api/v1/customers/{customer_id}"): (
        "customer", "op=200/200/200 pa=200/200/404 pt=200/200/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/delete"): (
        "customer", "op=202/202/202 pa=202/202/404 pt=403/403/404 ca=403/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/me"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("GET", "/api/v1/users"): (None, "op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("POST", "/api/v1/users"): (None, "op=201 pa=201 pt=403 ca=201 eu=403 au=403"),
    ("GET", "/api/v1/users/{user_id}"): ("user", f"{_OBJ} eu=404/404/404 au=404/404/404"),
    ("PATCH", "/api/v1/users/{user_id}"): (
        "user", "op=200/200/200 pa=200/200/404 pt=403/403/404 ca=200/404/404 eu=404/404/404 au=404/404/404"),
    ("POST", "/api/v1/users/{user_id}/grants"): (
        "auditor", "op=201/201/201 pa=201/201/404 pt=403/403/404 ca=201/404/404 eu=404/404/404 au=404/404/404"),
    ("GET", "/api/v1/me/tokens"): (None, "op=200 pa=200 pt=200 ca=200 eu=200 au=200"),
    ("POST", "/api/v1/me/tokens"): (None, "op=201 pa=201 pt=201 ca=201 eu=201 au=201"),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): (
        "token", "op=200/404 pa=200/404 pt=200/404 ca=200/404 eu=200/404 au=200/404"),
    ("GET", "/api/v1/jobs"): (None, "op=200 pa=200 pt=200 ca=200 eu=403 au=403"),
    ("GET", "/api/v1/jobs/{job_id}"): ("job", f"{_OBJ} eu=404/404/404 au=404/404/404"),
    # Archive: the operator runs the platform but never reads customer archives.
    ("GET", "/api/v1/customers/{customer_id}/archive/search"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/archive/export"): (
        "customer", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "/api/v1/messages/{message_id}"): (
        "message", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "/api/v1/messages/{message_id}/raw"): (
        "message", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    ("GET", "/api/v1/messages/{message_id}/attachments/{part}"): (
        "message", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=200/404/404 au=200/404/404"),
    # Sources and journaling: partner roles and customer admins manage; the operator only views.
    ("GET", "/api/v1/customers/{customer_id}/sources"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/customers/{customer_id}/sources"): (
        "customer", "op=403/403/403 pa=201/201/404 pt=201/201/404 ca=201/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/customers/{customer_id}/journal"): ("customer", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/sources/{source_id}"): ("source", f"{_OBJ} eu=403/404/404 au=403/404/404"),
    ("PATCH", "/api/v1/sources/{source_id}"): (
        "source", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("DELETE", "/api/v1/sources/{source_id}"): (
        "source", "op=403/403/403 pa=204/204/404 pt=204/204/404 ca=204/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/test"): (
        "source", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/sources/{source_id}/run"): (
        "source", "op=403/403/403 pa=202/202/404 pt=202/202/404 ca=202/404/404 eu=403/404/404 au=403/404/404"),
    # Resumable uploads for imports (partner roles and customer admins).
    ("POST", "/api/v1/customers/{customer_id}/uploads"): (
        "customer", "op=403/403/403 pa=201/201/404 pt=201/201/404 ca=201/404/404 eu=403/404/404 au=403/404/404"),
    ("GET", "/api/v1/uploads/{upload_id}"): (
        "upload", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("PUT", "/api/v1/uploads/{upload_id}"): (
        "upload", "op=403/403/403 pa=200/200/404 pt=200/200/404 ca=200/404/404 eu=403/404/404 au=403/404/404"),
    ("POST", "/api/v1/uploads/{upload_id}/complete"): (
        "upload_done", "op=403/403/403 pa=202/202/404 pt=202/202/404 ca=202/404/404 eu=403/404/404 "
                       "au=403/404/404"),
}

EXCLUDED_PREFIXES = ("i18n/", "static/")


# --- enumeration ---------------------------------------------------------------

def _walk(resolver: URLResolver, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            out += _walk(p, route)
        elif isinstance(p, URLPattern):
            out.append((route, p.callback))
    return out


def _openapi_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def _api_route(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_enumeration_matches_the_expectation_tables():
    api_paths = {path for _, path in _openapi_operations()}
    routes = {route for route, _ in _walk(get_resolver("kustos.urls"))
              if not route.startswith(EXCLUDED_PREFIXES) and _api_route(route) not in api_paths}
    assert routes == {route for _, route in DASHBOARD}, "dashboard URL without (or with stale) expectation"
    assert _openapi_operations() == set(API), "API operation without (or with stale) expectation"


# --- requests --------------------------------------------------------------------

def _codes(spec: str, role: str) -> list[int]:
    table = dict(part.split("=") for part in spec.split())
    key = "anon" if role == "anon" else {v: k for k, v in _SHORT.items()}[role]
    return [int(c) for c in table[key].split("/")]


def _targets(world: World, kind: str | None, role: str, n: int) -> list[tuple[str, Any]]:
    if kind is None:
        return [("-", None)]
    if kind == "token":
        own = world.actors[role].api_tokens.first() if role != "anon" else world.foreign_token
        return [("own", own), ("foreign", world.foreign_token)]
    group = {"customer": world.customers, "partner": world.partners, "user": world.users,
             "auditor": world.auditors, "job": world.jobs, "source": world.sources,
             "message": world.messages, "upload": world.uploads, "upload_done": world.uploads_done}[kind]
    items = group.items()
    return [items[0], items[2]] if n == 2 else items


def _customer_of(world: World, kind: str | None, label: str):
    return getattr(world.customers, label) if label in ("own", "sibling", "foreign") else world.customers.own


def _dashboard_request(client: Client, world: World, method: str, route: str, kind, label, obj):
    path = "/" + route
    values = {"customer_id": getattr(obj, "id", ""), "partner_id": getattr(obj, "id", ""),
              "user_id": getattr(obj, "id", ""), "job_id": getattr(obj, "id", ""),
              "token_id": getattr(obj, "id", ""), "uidb64": "MTIz", "token": "bogus-token"}
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    if method == "GET":
        return client.get(path)
    customer = _customer_of(world, kind, label)
    data = {
        "/login/": {"email": "nobody@nowhere.example", "password": "wrong-password-0"},
        "/login/otp/": {"token": "123456"},
        "/password-reset/": {"email": "nobody@nowhere.example"},
        "/account/language/": {"language": "de"},
        "/account/password/": {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
        "/account/tokens/": {"name": "matrix-made"},
        "/account/2fa/setup/": {"token": "000000"},
        "/partners/": {"name": "Matrix Partner"},
        "/locations/": {"id": "de-matrix-1", "name": "Matrix DC", "country": "DE"},
        "/customers/new/": {"name": "Matrix Kunde", "partner": world.partners.own.id,
                            "location": world.customers.own.location_id, "archiving_enabled": "on"},
        "/users/new/": {"email": "new-user@alpha-own.example", "role": "end_user",
                        "customer": world.customers.own.id},
    }.get(path)
    if data is None:
        if route.startswith("partners/"):
            data = {"name": "Renamed Partner"}
        elif route.endswith("/edit/"):
            data = {"name": obj.name, "notes": "edited by matrix", "archiving_enabled": "on"}
        elif route.endswith("/delete/"):
            data = {"confirm": obj.name}
        elif route.endswith("/role/"):
            data = {"role": "end_user"}
        elif route.endswith("/active/"):
            data = {}
        elif route.endswith("/grants/"):
            expires = (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
            data = {"customer": customer.id, "expires_at": expires, "tax_relevant_only": "on"}
        else:
            data = {}
    return client.post(path, data)


def _api_request(client: Client, world: World, method: str, path: str, kind, label, obj, secret: str | None):
    values = {"customer_id": getattr(obj, "id", ""), "partner_id": getattr(obj, "id", ""),
              "user_id": getattr(obj, "id", ""), "job_id": getattr(obj, "id", ""),
              "token_id": getattr(obj, "id", ""), "source_id": getattr(obj, "id", ""),
              "message_id": getattr(obj, "id", ""), "upload_id": getattr(obj, "id", ""), "part": world.attachment_part.get(label, "")}
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    customer = _customer_of(world, kind, label)
    body: dict[str, Any] = {}
    if method in ("POST", "PATCH"):
        body = {
            ("POST", "/api/v1/partners"): {"name": "Matrix Partner"},
            ("PATCH", "/api/v1/partners/{partner_id}"): {"name": "Renamed Partner"},
            ("POST", "/api/v1/locations"): {"id": "de-matrix-1", "name": "Matrix DC", "country": "DE"},
            ("POST", "/api/v1/customers"): {"name": "Matrix Kunde", "partner": world.partners.own.id},
            ("PATCH", "/api/v1/customers/{customer_id}"): {"notes": "edited by matrix"},
            ("POST", "/api/v1/customers/{customer_id}/delete"): {"confirm": getattr(obj, "name", "")},
            ("POST", "/api/v1/users"): {"email": "new-user@alpha-own.example", "role": "end_user",
                                        "customer": world.customers.own.id},
            ("PATCH", "/api/v1/users/{user_id}"): {"is_active": False},
            ("POST", "/api/v1/users/{user_id}/grants"): {
                "customer": customer.id, "expires_at": (timezone.now() + timedelta(days=10)).isoformat()},
            ("POST", "/api/v1/me/tokens"): {"name": "matrix-made"},
            ("POST", "/api/v1/customers/{customer_id}/archive/export"): {"query": "", "format": "mbox"},
            ("POST", "/api/v1/customers/{customer_id}/sources"): {
                "kind": "imap", "config": {"host": "127.0.0.1", "port": 9, "username": "new@alpha-own.example",
                                           "security": "none"}, "secret": "x"},
            ("PATCH", "/api/v1/sources/{source_id}"): {"paused": True},
            ("POST", "/api/v1/customers/{customer_id}/uploads"): {"filename": "a.mbox", "size": 10,
                                                                   "mailbox": "import@example.org"},
        }.get((method, path), {})
    if method == "PUT":
        return client.put(url + "?offset=0", b"From x\n\nhi", content_type="application/octet-stream", **headers)
    call = getattr(client, method.lower())
    if method in ("POST", "PATCH"):
        return call(url, body, content_type="application/json", **headers)
    return call(url, **headers)


def _body(resp) -> str:
    if getattr(resp, "streaming", False):
        return b"".join(resp.streaming_content).decode("utf-8", "replace")
    return resp.content.decode("utf-8", "replace")


@pytest.fixture
def world(settings, tmp_path) -> World:
    from kustos.core import runtime  # noqa: PLC0415  (reset after the home is swapped)

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    yield authz_world.build()
    runtime.reset()


@pytest.mark.parametrize("role", ("anon",) + ROLES)
def test_matrix(world: World, role: str):
    failures: list[str] = []
    actor = world.actors.get(role)
    hidden = world.markers_hidden_from(role) if role != "anon" else ()
    client = Client()
    for (method, route), (kind, spec) in DASHBOARD.items():
        codes = _codes(spec, role)
        for (label, obj), code in zip(_targets(world, kind, role, len(codes)), codes * 3, strict=False):
            if actor is not None:
                sign_in(client, actor)
            else:
                client.logout()
            with transaction.atomic():
                resp = _dashboard_request(client, world, method, route, kind, label, obj)
                body = _body(resp)
                transaction.set_rollback(True)
            where = f"{method} /{route} [{label}]"
            if resp.status_code != code:
                failures.append(f"{where}: expected {code}, got {resp.status_code}")
            if code == 302 and role == "anon" and resp.status_code == 302 and kind is not None:
                if not resp["Location"].startswith("/login/"):
                    failures.append(f"{where}: anonymous redirect to {resp['Location']}")
            failures += [f"{where}: leaks {m!r}" for m in hidden if m in body]
    secret = world.secrets.get(role)
    for (method, path), (kind, spec) in API.items():
        codes = [401] * 3 if role == "anon" else _codes(spec, role)
        for (label, obj), code in zip(_targets(world, kind, role, len(codes)), codes, strict=False):
            where = f"{method} {path} [{label}]"
            try:
                with transaction.atomic():
                    resp = _api_request(Client(), world, method, path, kind, label, obj, secret)
                    body = _body(resp)
                    transaction.set_rollback(True)
            except BaseException as exc:  # noqa: B036  (pyo3 panics derive from BaseException)
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{where}: raised {type(exc).__name__}: {str(exc)[:120]}")
                continue
            if resp.status_code != code:
                failures.append(f"{where}: expected {code}, got {resp.status_code} {body[:160]}")
            if code >= 400 and resp.get("Content-Type") != "application/problem+json":
                failures.append(f"{where}: error is not problem+json")
            failures += [f"{where}: leaks {m!r}" for m in hidden if m in body]
    assert not failures, f"{len(failures)} authorisation mismatches for {role}:\n" + "\n".join(failures)
