"""Customers flag messages tax-relevant (API, dashboard, CLI; reindexed at once), and grants are
given, limited to mailboxes, listed and revoked in API, dashboard and CLI — each audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from kustos.accounts.models import AuditorGrant, User
from kustos.archive.models import Message
from kustos.archive.services import search as search_service
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from tests import factories
from tests.integration.archive_access.conftest import ALICE, BOB, World


def _auditor_ids(world: World) -> set[str]:
    return {h.id for h in search_service.search_as(world.auditor, world.customer.id, "*", limit=100).hits}


def test_flagging_via_api_dashboard_and_cli_reindexes_for_the_auditor(world: World, capsys):
    six = world.by_i[6]  # alice, in the window, not flagged: hidden from the auditor so far
    assert six.id not in _auditor_ids(world)
    resp = world.client("admin").post(f"/api/v1/messages/{six.id}/tax-relevant", {"tax_relevant": True},
                                      content_type="application/json", **world.api("admin"))
    assert resp.status_code == 200 and resp.json()["tax_relevant"] is True
    assert six.id in _auditor_ids(world)
    assert world.client("auditor").get(f"/archive/messages/{six.id}/").status_code == 200

    page = world.client("admin").get(f"/archive/messages/{six.id}/").content.decode()
    assert 'data-testid="flag-tax"' in page and "Unmark tax-relevant" in page
    resp = world.client("admin").post(f"/archive/messages/{six.id}/tax-relevant/", {"tax_relevant": "0"})
    assert resp.status_code == 302 and not Message.objects.get(id=six.id).tax_relevant
    assert six.id not in _auditor_ids(world)
    assert world.client("auditor").get(f"/archive/messages/{six.id}/").status_code == 404

    assert registry.run(["message", "flag-tax", six.id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"id": six.id, "tax_relevant": True}
    assert six.id in _auditor_ids(world)
    assert registry.run(["message", "flag-tax", six.id, "--off", "--json"]) == 0
    assert six.id not in _auditor_ids(world)
    assert registry.run(["message", "flag-tax", "ms_nothere", "--json"]) == 1
    assert capsys.readouterr().err.strip() == "kustos: error: no message with id 'ms_nothere'"
    events = AuditEvent.objects.filter(action="archive.tax_relevant", target=six.id)
    assert events.count() == 4


@pytest.mark.parametrize("who", ["end_user", "auditor"])
def test_end_users_and_auditors_may_not_flag(world: World, who: str):
    two = world.by_i[2]  # visible to both (alice's mailbox, allowed by the grant)
    resp = world.client(who).post(f"/api/v1/messages/{two.id}/tax-relevant", {"tax_relevant": False},
                                  content_type="application/json", **world.api(who))
    assert resp.status_code == 403
    assert world.client(who).post(f"/archive/messages/{two.id}/tax-relevant/", {"tax_relevant": "0"}).status_code == 403
    assert 'data-testid="flag-tax"' not in world.client(who).get(f"/archive/messages/{two.id}/").content.decode()
    assert Message.objects.get(id=two.id).tax_relevant


def test_grant_list_and_revoke_in_the_api(world: World):
    auditor = factories.user("zweiter@finanzamt.example", "auditor", customer=world.customer)  # 30-day grant
    expires = (timezone.now() + timedelta(days=3)).isoformat()
    resp = world.client("admin").post(f"/api/v1/users/{auditor.id}/grants",
                                      {"customer": world.customer.id, "expires_at": expires, "mailboxes": [BOB.upper()],
                                       "tax_relevant_only": False}, content_type="application/json",
                                      **world.api("admin"))
    assert resp.status_code == 201 and resp.json()["mailboxes"] == [BOB]
    assert {h.id for h in search_service.search_as(auditor, world.customer.id, "*", limit=100).hits} == {
        m.id for m in Message.objects.filter(refs__mailbox__address=BOB)}
    bad = world.client("admin").post(f"/api/v1/users/{auditor.id}/grants",
                                     {"customer": world.customer.id, "expires_at": expires, "mailboxes": ["kein-at"]},
                                     content_type="application/json", **world.api("admin"))
    assert bad.status_code == 422 and "invalid mailbox address 'kein-at'" in bad.json()["detail"]
    listed = world.client("admin").get(f"/api/v1/users/{auditor.id}/grants", **world.api("admin")).json()
    assert [(g["customer"], g["active"]) for g in listed] == [(world.customer.id, True)]
    resp = world.client("admin").delete(f"/api/v1/users/{auditor.id}/grants/{world.customer.id}",
                                        **world.api("admin"))
    assert resp.status_code == 200 and resp.json()["active"] is False
    assert AuditEvent.objects.filter(action="auditor.revoke", target=auditor.id).count() == 1
    assert AuditEvent.objects.filter(action="auditor.grant", target=auditor.id).exists()
    with pytest.raises(Exception, match="no such customer"):
        search_service.search_as(auditor, world.customer.id, "*")
    # Granting again re-activates the grant.
    world.client("admin").post(f"/api/v1/users/{auditor.id}/grants",
                               {"customer": world.customer.id, "expires_at": expires},
                               content_type="application/json", **world.api("admin"))
    assert AuditorGrant.objects.get(user=auditor).active


def test_grant_with_mailboxes_and_revoke_in_the_dashboard(world: World):
    admin = world.client("admin")
    expires = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    resp = admin.post(f"/users/{world.auditor.id}/grants/", {"customer": world.customer.id, "expires_at": expires,
                                                             "mailboxes": f"{ALICE}, {BOB}"})
    assert resp.status_code == 302
    grant = AuditorGrant.objects.get(user=world.auditor)
    assert grant.mailboxes == [ALICE, BOB] and not grant.tax_relevant_only
    page = admin.get(f"/users/{world.auditor.id}/").content.decode()
    assert f"{ALICE}, {BOB}" in page and 'data-testid="revoke-grant"' in page
    resp = admin.post(f"/users/{world.auditor.id}/grants/revoke/", {"customer": world.customer.id})
    assert resp.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and not grant.active
    assert "revoked" in admin.get(f"/users/{world.auditor.id}/").content.decode()
    assert world.client("auditor").get("/archive/search/", {"customer": world.customer.id}).status_code == 404
    assert AuditEvent.objects.filter(action="auditor.revoke", target=world.auditor.id).count() == 1


def test_auditor_cli_grant_list_revoke(world: World, capsys):
    cid = world.customer.id
    assert registry.run(["auditor", "grant", "--customer", cid, "--email", "Neu@Pruefung.example", "--from",
                         "2024-02-01", "--to", "2024-08-31", "--expires-days", "7", "--mailbox", ALICE,
                         "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    user = User.objects.get(email="neu@pruefung.example")
    assert user.role == "auditor" and user.must_change_password and user.check_password(out["one_time_password"])
    assert (out["customer"], out["mailboxes"], out["tax_relevant_only"]) == (cid, [ALICE], True)
    assert {h.id for h in search_service.search_as(user, cid, "*", limit=100).hits} == world.allowed_ids()

    assert registry.run(["auditor", "grant", "--customer", cid, "--email", "neu@pruefung.example", "--all-mail",
                         "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert "one_time_password" not in again and again["tax_relevant_only"] is False and again["id"] == out["id"]

    assert registry.run(["auditor", "list", "--customer", cid, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {g["email"] for g in listed} == {"pruefer@finanzamt.example", "neu@pruefung.example"}

    assert registry.run(["auditor", "revoke", str(out["id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["active"] is False
    with pytest.raises(Exception, match="no such customer"):
        search_service.search_as(user, cid, "*")
    assert AuditEvent.objects.filter(action="auditor.revoke", target=user.id).count() == 1

    for argv, message in (
        (["auditor", "revoke", "999999"], "no grant with id 999999"),
        (["auditor", "grant", "--customer", cid, "--email", "x@y.example", "--from", "2024-13-01"],
         "--from must be a date YYYY-MM-DD, not '2024-13-01'"),
        (["auditor", "grant", "--customer", cid, "--email", ALICE], f"{ALICE} is a end_user user, not an auditor"),
    ):
        assert registry.run([*argv, "--json"]) == 1
        assert capsys.readouterr().err.strip() == f"kustos: error: {message}"
