"""Runs the archive rows of tests/integration/authz_archive_rows.py against the authorisation world:
every archive dashboard URL × every role × own/sibling/foreign object, real HTTP status and no
leak of the other customers' names."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from kustos.core import runtime
from tests.integration import authz_world
from tests.integration.authz_archive_rows import ARCHIVE_DASHBOARD, archive_data, archive_path
from tests.integration.authz_world import ROLES
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db
SHORT = dict(zip("op pa pt ca eu au".split(), ROLES, strict=True))


@pytest.fixture
def world(settings, tmp_path):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    yield authz_world.build()
    runtime.reset()


def _codes(spec: str, role: str) -> list[int]:
    table = dict(part.split("=") for part in spec.split())
    key = "anon" if role == "anon" else {v: k for k, v in SHORT.items()}[role]
    return [int(c) for c in table[key].split("/")]


def _body(resp) -> str:
    if getattr(resp, "streaming", False):
        return b"".join(resp.streaming_content).decode("utf-8", "replace")
    return resp.content.decode("utf-8", "replace")


def test_every_archive_route_has_a_row():
    from django.urls import get_resolver  # noqa: PLC0415

    routes = {str(p.pattern) for p in get_resolver("kustos.web.urls").url_patterns}
    # backup routes under a source (…/sources/<id>/backup/…) have their rows in the main matrix
    archive_routes = {r for r in routes if (r.startswith("archive/") or "/sources/" in r
                                            or r.endswith(("/import/", "/journal/"))) and "/backup/" not in r}
    assert archive_routes == {route for _, route in ARCHIVE_DASHBOARD}


@pytest.mark.parametrize("role", ("anon",) + ROLES)
def test_archive_rows(world, role):
    failures: list[str] = []
    actor = world.actors.get(role)
    hidden = world.markers_hidden_from(role) if actor else ()
    client = Client()
    for (method, route), (kind, spec) in ARCHIVE_DASHBOARD.items():
        codes = _codes(spec, role)
        group = {"customer": world.customers, "message": world.messages, "source": world.sources}.get(kind)
        targets = group.items() if group else [("-", None)]
        for (label, obj), code in zip(targets, codes * 3, strict=False):
            if actor is not None:
                sign_in(client, actor)
            else:
                client.logout()
            path = archive_path(route, world, label, obj) if obj is not None else "/" + route
            with transaction.atomic():
                if method == "GET":
                    resp = client.get(path)
                else:
                    resp = client.post(path, archive_data(route, world, label, obj))
                body = _body(resp)
                transaction.set_rollback(True)
            where = f"{method} {path} [{label}]"
            if resp.status_code != code:
                failures.append(f"{where}: expected {code}, got {resp.status_code}")
            failures += [f"{where}: leaks {m!r}" for m in hidden if m in body]
    assert not failures, f"{len(failures)} mismatches for {role}:\n" + "\n".join(failures)
