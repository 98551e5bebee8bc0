"""An end user whose customer admin turned self-service search or download off is refused (403) by the
archive search page and API, the message view, the EML/original/attachment/PDF downloads and exports;
administrators are not limited by the switches."""

from __future__ import annotations

import json

import pytest

from kustos.archive.services import messages
from kustos.tenants.services import self_service
from tests.integration.self_service.conftest import World

pytestmark = pytest.mark.django_db


def _downloads(world: World) -> list[str]:
    m = world.rechnung
    part = messages.parsed(m).attachments[-1].part_path
    return [f"/archive/messages/{m.id}/raw/", f"/archive/messages/{m.id}/attachments/{part}/",
            f"/archive/messages/{m.id}/pdf/", f"/api/v1/messages/{m.id}/raw",
            f"/api/v1/messages/{m.id}/attachments/{part}", f"/api/v1/messages/{m.id}/pdf"]


def _export(world: World, who: str):
    c = world.client(who)
    return c.post(f"/api/v1/customers/{world.customer.id}/archive/export", data=json.dumps({"query": "kolibri"}),
                  content_type="application/json", **world.api(who))


def _web_export(world: World, who: str):
    return world.client(who).post("/archive/export/", {"customer": world.customer.id, "q": "",
                                                      "ids": [world.notiz.id], "format": "mbox"})


def test_everything_allowed_by_default(world: World):
    c = world.client("end_user")
    for url in _downloads(world):
        assert c.get(url, **world.api("end_user")).status_code == 200, url
    assert _export(world, "end_user").status_code == 200
    assert _web_export(world, "end_user").status_code == 200


def test_download_off_refuses_downloads_and_exports_but_not_reading(world: World):
    self_service.update(world.customer, {"download": False}, actor="test")
    c = world.client("end_user")
    for url in _downloads(world):
        resp = c.get(url, **world.api("end_user"))
        assert resp.status_code == 403, url
        if url.startswith("/api/"):  # the problem detail names the switch
            assert b"self-service download" in resp.content, url
    assert _export(world, "end_user").status_code == 403
    assert _web_export(world, "end_user").status_code == 403
    # Reading stays allowed; the message page offers no download buttons.
    page = c.get(f"/archive/messages/{world.rechnung.id}/")
    assert page.status_code == 200 and b'data-testid="download-eml"' not in page.content
    assert b'data-testid="download-pdf"' not in page.content
    assert c.get(f"/api/v1/messages/{world.rechnung.id}", **world.api("end_user")).status_code == 200
    # The administrator is not limited by the switch.
    admin = world.client("admin")
    assert b'data-testid="download-pdf"' in admin.get(f"/archive/messages/{world.rechnung.id}/").content
    for url in _downloads(world):
        assert admin.get(url, **world.api("admin")).status_code == 200, url
    assert _export(world, "admin").status_code == 200


def test_search_off_refuses_search_view_and_downloads(world: World):
    self_service.update(world.customer, {"search": False}, actor="test")
    c = world.client("end_user")
    api_search = c.get(f"/api/v1/customers/{world.customer.id}/archive/search", {"q": "kolibri"},
                       **world.api("end_user"))
    assert api_search.status_code == 403 and b"self-service search" in api_search.content
    assert c.get("/archive/search/", {"customer": world.customer.id, "q": "kolibri"}).status_code == 403
    for url in (f"/archive/messages/{world.notiz.id}/", f"/api/v1/messages/{world.notiz.id}",
                f"/api/v1/messages/{world.notiz.id}/view", *_downloads(world)):
        assert c.get(url, **world.api("end_user")).status_code == 403, url
    assert _export(world, "end_user").status_code == 403
    admin = world.client("admin")
    found = admin.get(f"/api/v1/customers/{world.customer.id}/archive/search", {"q": "kolibri"},
                      **world.api("admin"))
    assert found.status_code == 200 and found.json()["total"] == 2
    # Switched on again, the end user finds their own mail (not Bernd's).
    self_service.update(world.customer, {"search": True}, actor="test")
    own = c.get(f"/api/v1/customers/{world.customer.id}/archive/search", {"q": "kolibri"}, **world.api("end_user"))
    assert own.status_code == 200 and [h["id"] for h in own.json()["hits"]] == [world.notiz.id]
