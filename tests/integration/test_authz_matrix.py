"""Authorisation matrix: EVERY dashboard URL and EVERY API operation × every role × own,
sibling (same partner, other customer) and foreign (other partner) objects.

The URL patterns and OpenAPI operations are enumerated from the running configuration and
must equal the tables in authz_expectations.py, so a new endpoint without a row fails this test.
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
from tests.integration.authz_expectations import API, DASHBOARD, SHORT
from tests.integration.authz_world import ROLES, World
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

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
    expected = {route for _, route in DASHBOARD}
    assert not routes - expected, f"dashboard URLs without a row in authz_expectations.py: {sorted(routes - expected)}"
    assert not expected - routes, f"stale rows in authz_expectations.py: {sorted(expected - routes)}"
    ops, expected_ops = _openapi_operations(), set(API)
    assert not ops - expected_ops, f"API operations without a row in authz_expectations.py: {sorted(ops - expected_ops)}"
    assert not expected_ops - ops, f"stale API rows in authz_expectations.py: {sorted(expected_ops - ops)}"


# --- requests --------------------------------------------------------------------

def _codes(spec: str, role: str) -> list[int]:
    table = dict(part.split("=") for part in spec.split())
    key = "anon" if role == "anon" else {v: k for k, v in SHORT.items()}[role]
    return [int(c) for c in table[key].split("/")]


def _targets(world: World, kind: str | None, role: str, n: int) -> list[tuple[str, Any]]:
    if kind is None:
        return [("-", None)]
    if kind == "token":
        own = world.actors[role].api_tokens.first() if role != "anon" else world.foreign_token
        return [("own", own), ("foreign", world.foreign_token)]
    group = {"customer": world.customers, "partner": world.partners, "user": world.users,
             "auditor": world.auditors, "job": world.jobs, "source": world.sources,
             "message": world.messages, "upload": world.uploads, "upload_done": world.uploads_done,
             "quarantine": world.quarantine}[kind]
    items = group.items()
    return [items[0], items[2]] if n == 2 else items


def _customer_of(world: World, kind: str | None, label: str):
    return getattr(world.customers, label) if label in ("own", "sibling", "foreign") else world.customers.own


def _dashboard_request(client: Client, world: World, method: str, route: str, kind, label, obj):
    path = "/" + route
    values = {"customer_id": getattr(obj, "id", ""), "partner_id": getattr(obj, "id", ""),
              "user_id": getattr(obj, "id", ""), "job_id": getattr(obj, "id", ""),
              "token_id": getattr(obj, "id", ""), "uidb64": "MTIz", "token": "bogus-token"}
    values.update(message_id=getattr(obj, "id", ""), source_id=getattr(obj, "id", ""),
                  part=world.attachment_part.get(label, ""), account="nobody", version=1)
    values.update(hold_id=getattr(obj, "id", ""), case_id=getattr(obj, "id", ""), request_id=getattr(obj, "id", ""))
    values.update(rule_id=getattr(obj, "id", ""))
    values.update(app_password_id="ap_nonexistent")  # another user's or no app password: 404
    values.update(slug="search-archive")  # a help article
    values.update(provider_id="idp_nonexistent")  # an SSO provider that does not exist
    if kind in ("source", "quarantine"):
        values["customer_id"] = obj.customer_id
    if kind == "quarantine":
        values["item_id"] = obj.id
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
        elif route.startswith("archive/export/"):  # the export and the Z3 export
            data = {"customer": obj.id, "format": "mbox", "scope": "all"}
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
              "message_id": getattr(obj, "id", ""), "upload_id": getattr(obj, "id", ""), "part": world.attachment_part.get(label, ""),
              "saved_id": getattr(obj, "id", ""),
              "rule_id": getattr(obj, "id", ""), "proposal_id": getattr(obj, "id", ""),
              "hold_id": getattr(obj, "id", ""), "case_id": getattr(obj, "id", ""),
              "request_id": getattr(obj, "id", ""),
              "route_id": "nr_nonexistent", "webhook_id": "wh_nonexistent",
              "app_password_id": "ap_nonexistent", "provider_id": "idp_nonexistent",
              "account": "nobody", "version": 1, "month": "2000-01", "slug": "search-archive"}
    if kind == "quarantine":
        values.update(customer_id=obj.customer_id, item_id=obj.id)
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
            ("POST", "/api/v1/customers/{customer_id}/saved-searches"): {"name": "matrix", "query": ""},
            ("POST", "/api/v1/customers/{customer_id}/archive/folders/tax-relevant"): {
                "mailbox": "anna@alpha-own.example", "folder": "INBOX"},
        }.get((method, path), {})
    if method == "PUT" and path.endswith(("/self-service", "/sign-in-policy")):  # settings: a JSON body that changes nothing
        return client.put(url, b"{}", content_type="application/json", **headers)
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
