"""An auditor's grant (tax-relevant only, date range, one mailbox, expiry, revocation) holds in
search, message view, downloads and export — dashboard, API and the services the CLI uses."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from kustos.archive.services import export
from kustos.archive.services import search as search_service
from tests.integration.archive_access.conftest import ALLOWED, World


def _api_ids(world: World, who: str, q: str = "") -> set[str]:
    resp = world.client(who).get(f"/api/v1/customers/{world.customer.id}/archive/search",
                                 {"q": q, "limit": "100"}, **world.api(who))
    assert resp.status_code == 200, resp.content
    return {h["id"] for h in resp.json()["hits"]}


def _page_ids(world: World, who: str, q: str = "") -> set[str]:
    resp = world.client(who).get("/archive/search/", {"customer": world.customer.id, "q": q})
    assert resp.status_code == 200
    return set(re.findall(r'href="/archive/messages/(ms_\w+)/" data-testid="hit-link"', resp.content.decode()))


def _zip_ids(data: bytes) -> set[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name.split("-", 1)[1].removesuffix(".eml") for name in zf.namelist()}


def _streamed(resp) -> bytes:
    return b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content


def test_search_finds_exactly_the_flagged_in_window_mail_of_the_granted_mailbox(world: World):
    expected = world.allowed_ids()
    assert len(expected) == len(ALLOWED)
    service = search_service.search_as(world.auditor, world.customer.id, "*", limit=100)
    assert {h.id for h in service.hits} == expected and service.total == len(expected)
    assert _api_ids(world, "auditor") == expected
    assert _api_ids(world, "auditor", "rechnung") == expected
    assert _page_ids(world, "auditor") == expected
    # The customer's administrator sees all 13 messages.
    assert len(_api_ids(world, "admin")) == 13


@pytest.mark.parametrize("route", ["/api/v1/messages/{id}", "/api/v1/messages/{id}/raw",
                                   "/api/v1/messages/{id}/attachments/{part}", "/archive/messages/{id}/",
                                   "/archive/messages/{id}/body/", "/archive/messages/{id}/raw/",
                                   "/archive/messages/{id}/attachments/{part}/"])
def test_view_and_downloads_answer_404_outside_the_grant(world: World, route: str):
    client, headers = world.client("auditor"), world.api("auditor")
    for i, msg in world.by_i.items():
        url = route.format(id=msg.id, part=world.part(msg))
        code = client.get(url, **headers).status_code
        assert code == (200 if i in ALLOWED else 404), (url, i, code)
    assert client.get(route.format(id=world.shared.id, part=world.part(world.shared)), **headers).status_code == 404


def test_export_contains_exactly_the_allowed_messages(world: World, tmp_path):
    expected = world.allowed_ids()
    resp = world.client("auditor").post(f"/api/v1/customers/{world.customer.id}/archive/export",
                                        {"query": "", "format": "eml-zip"}, content_type="application/json",
                                        **world.api("auditor"))
    assert resp.status_code == 200 and _zip_ids(_streamed(resp)) == expected
    resp = world.client("auditor").post("/archive/export/", {"customer": world.customer.id, "scope": "all",
                                                             "format": "eml-zip"})
    assert resp.status_code == 200 and _zip_ids(_streamed(resp)) == expected
    # Ids picked by hand outside the grant are dropped as well.
    resp = world.client("auditor").post("/archive/export/", {"customer": world.customer.id, "format": "eml-zip",
                                                             "ids": [m.id for m in world.by_i.values()]})
    assert resp.status_code == 200 and _zip_ids(_streamed(resp)) == expected
    scope = search_service.scope_for(world.auditor, world.customer)
    result = export.export_query(world.customer, "", scope, "eml-zip", tmp_path / "x.zip", actor=world.auditor)
    assert result["count"] == len(expected) and _zip_ids((tmp_path / "x.zip").read_bytes()) == expected


@pytest.mark.parametrize("end", ["revoked", "expired"])
def test_revoked_or_expired_grant_is_404_everywhere(world: World, end: str):
    if end == "revoked":
        resp = world.client("admin").delete(f"/api/v1/users/{world.auditor.id}/grants/{world.customer.id}",
                                            **world.api("admin"))
        assert resp.status_code == 200 and resp.json()["revoked_at"]
    else:
        type(world.grant).objects.filter(id=world.grant.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    msg = world.by_i[2]
    client, headers, cid = world.client("auditor"), world.api("auditor"), world.customer.id
    for url in (f"/api/v1/customers/{cid}/archive/search", f"/api/v1/messages/{msg.id}",
                f"/api/v1/messages/{msg.id}/raw", f"/api/v1/messages/{msg.id}/attachments/{world.part(msg)}",
                f"/archive/customers/{cid}/folders/", f"/archive/messages/{msg.id}/",
                f"/archive/messages/{msg.id}/raw/", f"/archive/messages/{msg.id}/attachments/{world.part(msg)}/"):
        assert client.get(url, **headers).status_code == 404, url
    assert client.get("/archive/search/", {"customer": cid}).status_code == 404
    assert client.post(f"/api/v1/customers/{cid}/archive/export", {"query": ""}, content_type="application/json",
                       **headers).status_code == 404
    assert client.post("/archive/export/", {"customer": cid, "scope": "all"}).status_code == 404
    with pytest.raises(Exception, match="no such customer"):
        search_service.search_as(world.auditor, cid, "*")
