"""Requirement 14: the auditor role is read-only, time-limited, scoped to the granted customer,
limited to the grant's date range and (optionally) to tax-relevant mail, and every action the
auditor takes is in the audit log. Access to other customers is refused.

The mails and the grant: tests/integration/archive_access/conftest.py (the grant allows tax-relevant
mail of alice's mailbox from February to August 2024, messages 2 and 4; it expires in five days).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.models import AuditorGrant, User
from kustos.archive.models import Folder, Message, Source
from kustos.audit.models import AuditEvent
from kustos.compliance.models import SavedSearch
from kustos.compliance.services import saved_searches
from tests import factories
from tests.integration.archive_access import conftest as access_world
from tests.integration.archive_access.conftest import ALICE, ALLOWED, World

world = access_world.world
_fast_password_hashing = access_world._fast_password_hashing

WRITES = {"post", "put", "patch", "delete"}
# Write operations an auditor may use: their own account and token, and the read-only exports
# (POST because they carry a query; they alter nothing and answer the grant's messages only).
OWN_OR_READ = {("post", "/api/v1/me/tokens"), ("delete", "/api/v1/me/tokens/{token_id}"),
               ("post", "/api/v1/me/password"), ("post", "/api/v1/customers/{customer_id}/exports/z3"),
               ("post", "/api/v1/customers/{customer_id}/archive/export"),
               ("post", "/api/v1/customers/{customer_id}/exports/evidence")}


def _state(world: World) -> tuple:
    """What an auditor must not change: messages (flags, retention, restriction), folders, grants,
    users, sources, saved searches."""
    msgs = tuple(Message.objects.filter(customer=world.customer).order_by("id").values_list(
        "id", "sha256", "tax_relevant", "restricted", "retention_end", "retention_class", "subject"))
    return (msgs, tuple(Folder.objects.order_by("id").values_list("id", "tax_relevant")),
            tuple(AuditorGrant.objects.order_by("id").values_list("id", "expires_at", "revoked_at", "date_from")),
            User.objects.count(), Source.objects.count(), SavedSearch.objects.count())


def test_req14_every_write_operation_is_refused_to_the_auditor(world: World):
    """Every API write operation (from the OpenAPI document), called by the auditor on the granted
    customer and a message the grant shows, is refused; nothing changes."""
    SavedSearch.objects.create(customer=world.customer, name="Geteilt", query="Rechnung", owner="it@kunde.example",
                               shared_with_auditors=True)
    saved_id = SavedSearch.objects.get().id
    before = _state(world)
    spec = world.client("admin").get("/api/v1/openapi.json").json()["paths"]
    values = {"customer_id": world.customer.id, "message_id": world.by_i[2].id, "user_id": world.auditor.id,
              "saved_id": saved_id}
    client, headers = world.client("auditor"), world.api("auditor")
    tried, refused = 0, []
    for path, ops in sorted(spec.items()):
        for method in sorted(set(ops) & WRITES):
            if (method, path) in OWN_OR_READ:
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "nothere"), path)
            call = getattr(client, method)
            resp = call(url, "{}", content_type="application/json", **headers)
            tried += 1
            if resp.status_code < 400 or resp.status_code in (401, 405, 500):
                refused.append(f"{method.upper()} {path}: {resp.status_code}")
    assert tried > 40 and refused == []
    # with complete bodies the auditor's answer is 403 (the object is visible, the action is not theirs)
    cid, two = world.customer.id, world.by_i[2].id
    for method, url, body in (
            ("post", f"/api/v1/messages/{two}/tax-relevant", {"tax_relevant": False}),
            ("post", f"/api/v1/customers/{cid}/archive/folders/tax-relevant", {"mailbox": ALICE, "folder": "INBOX"}),
            ("post", f"/api/v1/customers/{cid}/saved-searches", {"name": "Meine", "query": "x"}),
            ("post", f"/api/v1/saved-searches/{saved_id}/share", {"shared_with_auditors": False}),
            ("delete", f"/api/v1/saved-searches/{saved_id}", None),
            ("post", f"/api/v1/users/{world.auditor.id}/grants",
             {"customer": cid, "expires_at": (timezone.now() + timedelta(days=400)).isoformat()}),
            ("post", f"/api/v1/customers/{cid}/sources",
             {"kind": "imap", "config": {"host": "127.0.0.1", "port": 9, "username": "a@b.example", "security": "none"},
              "secret": "x"}),
            ("patch", f"/api/v1/customers/{cid}", {"notes": "auditor"}),
            ("post", "/api/v1/users", {"email": "neu@kunde.example", "role": "end_user", "customer": cid})):
        call = getattr(client, method)
        resp = call(url, body, content_type="application/json", **headers) if body is not None else call(url, **headers)
        assert resp.status_code in (403, 404), (method, url, resp.status_code)
        assert resp.status_code == 403 or "users" in url or url.endswith(cid), (method, url, resp.status_code)
    # the dashboard's write forms as well
    web = world.client("auditor")
    for url, data in ((f"/archive/messages/{two}/tax-relevant/", {"tax_relevant": "0"}),
                      (f"/archive/customers/{cid}/folders/tax-relevant/", {"mailbox": ALICE, "folder": "INBOX"}),
                      ("/archive/saved-searches/create/", {"customer": cid, "name": "Meine", "query": "x"}),
                      ("/archive/saved-searches/share/", {"id": saved_id, "shared": "0"}),
                      ("/archive/saved-searches/remove/", {"id": saved_id})):
        assert web.post(url, data).status_code == 403, url
    assert _state(world) == before


def test_req14_an_expired_grant_gives_no_access(world: World):
    msg = world.by_i[2]
    client, headers, cid = world.client("auditor"), world.api("auditor"), world.customer.id
    assert client.get(f"/api/v1/messages/{msg.id}", **headers).status_code == 200
    AuditorGrant.objects.filter(id=world.grant.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    for url in (f"/api/v1/customers/{cid}/archive/search", f"/api/v1/messages/{msg.id}",
                f"/api/v1/messages/{msg.id}/raw", f"/api/v1/customers/{cid}/saved-searches",
                f"/archive/messages/{msg.id}/", f"/archive/customers/{cid}/folders/"):
        assert client.get(url, **headers).status_code == 404, url
    assert client.post(f"/api/v1/customers/{cid}/exports/z3", {"query": ""}, content_type="application/json",
                       **headers).status_code == 404
    assert client.get("/archive/search/", {"customer": cid}).status_code == 404
    with pytest.raises(Exception, match="no such"):
        saved_searches.list_as(world.auditor, cid)


def test_req14_other_customers_are_refused(world: World):
    other = factories.customer(world.customer.partner, "Nachbar Kunde")  # same partner, no grant
    stranger = Message.objects.exclude(customer=world.customer).first()
    assert stranger is None  # the other customer has no mail; its id alone must not be reachable
    client, headers = world.client("auditor"), world.api("auditor")
    for url in (f"/api/v1/customers/{other.id}/archive/search", f"/api/v1/customers/{other.id}/saved-searches",
                f"/archive/customers/{other.id}/folders/", f"/api/v1/customers/{other.id}"):
        assert client.get(url, **headers).status_code in (403, 404), url
        assert client.get(url, **headers).status_code == 404 or url.endswith(other.id), url
    assert client.post(f"/api/v1/customers/{other.id}/exports/z3", {"query": ""}, content_type="application/json",
                       **headers).status_code == 404
    assert client.get("/archive/search/", {"customer": other.id}).status_code == 404


def test_req14_date_range_and_tax_relevant_only_apply_to_search_and_view(world: World):
    client, headers = world.client("auditor"), world.api("auditor")
    hits = client.get(f"/api/v1/customers/{world.customer.id}/archive/search", {"q": "Rechnung", "limit": "100"},
                      **headers).json()["hits"]
    assert {h["id"] for h in hits} == world.allowed_ids()
    for i, msg in world.by_i.items():
        assert client.get(f"/archive/messages/{msg.id}/").status_code == (200 if i in ALLOWED else 404), i
    # a wider grant (all mail, whole year) shows more: the limits come from the grant
    AuditorGrant.objects.filter(id=world.grant.id).update(tax_relevant_only=False, date_from=None)
    wider = {h["id"] for h in client.get(f"/api/v1/customers/{world.customer.id}/archive/search",
                                         {"q": "Rechnung", "limit": "100"}, **headers).json()["hits"]}
    assert wider == {world.by_i[i].id for i in (0, 2, 4, 6)} | {world.shared.id}


def test_req14_every_auditor_action_is_in_the_audit_log(world: World):
    cid, two = world.customer.id, world.by_i[2]
    web = Client()
    assert web.post("/login/", {"username": world.auditor.email, "email": world.auditor.email,
                                "password": factories.PASSWORD}).status_code == 302
    api, headers = world.client("auditor"), world.api("auditor")
    shared = SavedSearch.objects.create(customer=world.customer, name="Geteilt", query="Rechnung",
                                        owner="it@kunde.example", shared_with_auditors=True)
    start = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    assert api.get(f"/api/v1/customers/{cid}/archive/search", {"q": "Rechnung"}, **headers).status_code == 200
    assert api.get(f"/api/v1/messages/{two.id}", **headers).status_code == 200
    assert api.get(f"/api/v1/messages/{two.id}/raw", **headers).status_code == 200
    assert web.get(f"/archive/messages/{two.id}/").status_code == 200
    assert api.post(f"/api/v1/customers/{cid}/exports/z3", {"query": ""}, content_type="application/json",
                    **headers).status_code == 200
    assert api.get(f"/api/v1/saved-searches/{shared.id}/results", **headers).status_code == 200
    assert api.post(f"/api/v1/messages/{two.id}/tax-relevant", {"tax_relevant": False},
                    content_type="application/json", **headers).status_code == 403
    actions = list(AuditEvent.objects.filter(seq__gt=start, actor=world.auditor.email).order_by("seq")
                   .values_list("action", flat=True))
    for action in ("archive.search", "archive.view", "archive.download", "export.z3", "saved_search.run"):
        assert action in actions, (action, actions)
    assert AuditEvent.objects.filter(actor=world.auditor.email, action="auth.login").exists()
    assert all(e.actor_role == "auditor" for e in AuditEvent.objects.filter(actor=world.auditor.email))
