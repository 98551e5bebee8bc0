"""Requirement 11: nothing is deleted automatically. A retention run proposes exactly the expired
messages no legal hold covers; approval (four-eyes when configured) deletes them — vault bytes,
database rows, search documents — leaves tombstones, drops whole packs where a retention year is
fully expired, and `kustos vault verify` stays green. A message held after the proposal survives."""

from __future__ import annotations

from datetime import date, datetime

from django.test import Client
from huey.contrib.djhuey import HUEY

from kustos.accounts.services import tokens
from kustos.archive.models import Message, MessageRef
from kustos.audit.models import AuditEvent
from kustos.cli import server  # noqa: F401  (registers the periodic tasks)
from kustos.core import runtime
from kustos.lifecycle import jobs as lifecycle_jobs
from kustos.lifecycle.models import (
    DeletionApproval,
    DeletionProposal,
    HoldItem,
    LegalCase,
    LegalHold,
    Tombstone,
)
from kustos.lifecycle.services import proposals
from kustos.search import SearchRequest
from tests import factories
from tests.integration.compliance import retention_world
from tests.integration.compliance.retention_world import approvers, cli, ingest, mail
from tests.integration.web.session import sign_in

customer = retention_world.customer

OLD = "Mon, 01 Mar 2010 10:00:00 +0000"  # unclassified: 10 years -> ends 31.12.2020
MID = "Thu, 01 Mar 2012 10:00:00 +0000"  # -> 31.12.2022
NEW = "Fri, 01 Mar 2024 10:00:00 +0000"  # -> 31.12.2034


def hold(customer, ids: list[str]) -> LegalHold:
    case = LegalCase.objects.create(customer=customer, name=f"case {len(ids)} {ids[0]}")
    h = LegalHold.objects.create(case=case, query="", messages=len(ids))
    HoldItem.objects.bulk_create([HoldItem(hold=h, message_id=i) for i in ids])
    return h


def packs(customer, group: str) -> list[str]:
    store = runtime.store_for(customer.id)
    return list(store.ctx.backend.list(f"customers/{customer.id}/packs/{group}/"))


def world(customer):
    old = ingest(customer, [mail(i, OLD, tag="old") for i in range(3)])
    mid = ingest(customer, [mail(i, MID, tag="mid") for i in range(3)])
    new = ingest(customer, [mail(i, NEW, tag="new") for i in range(2)])
    return old, mid, new


def test_req11_run_proposes_exactly_the_expired_unheld_messages(customer, capsys):
    old, mid, new = world(customer)
    assert set(Message.objects.filter(id__in=old).values_list("retention_end", flat=True)) == {date(2020, 12, 31)}
    hold(customer, [mid[0]])
    code, out = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2030-01-01")
    assert code == 0, out
    assert out["proposed"] == 5
    proposal = DeletionProposal.objects.get(id=out["id"])
    assert set(proposal.items.values_list("message_id", flat=True)) == set(old) | set(mid[1:])
    # before the retention end nothing is proposed; nothing was deleted by the run
    code, out = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2020-12-31")
    assert code == 0 and out["proposed"] == 0 and out["id"] is None
    assert Message.objects.filter(customer=customer).count() == 8
    code, rows = cli(capsys, "retention", "proposals", "--customer", customer.id)
    assert [(r["id"], r["messages"]) for r in rows] == [(proposal.id, 5)]
    # a second run does not propose what already waits for approval
    code, out = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2030-01-01")
    assert code == 0 and out["proposed"] == 0
    assert set(rows[0]) >= {"id", "messages", "created"}


def test_req11_approval_deletes_leaves_tombstones_drops_whole_year_and_verify_stays_green(customer, capsys):
    old, mid, new = world(customer)
    assert packs(customer, "2020") and packs(customer, "2022")
    vault_ids = dict(Message.objects.filter(customer=customer).values_list("id", "vault_id"))
    hold(customer, [mid[0]])
    code, out = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2030-01-01")
    assert code == 0 and out["proposed"] == 5
    approvers(customer, "chefin@kunde.example")
    code, result = cli(capsys, "retention", "approve", out["id"], "--user", "chefin@kunde.example")
    assert code == 0, result
    assert result["deleted"] == 5 and result["held"] == 0 and result["remaining_approvals"] == 0
    gone = set(old) | set(mid[1:])
    assert not Message.objects.filter(id__in=gone).exists()
    assert not MessageRef.objects.filter(message_id__in=gone).exists()
    assert set(Message.objects.filter(customer=customer).values_list("id", flat=True)) == {mid[0], *new}
    store = runtime.store_for(customer.id)
    store.refresh()
    for mid_ in gone:
        assert not store.exists(vault_ids[mid_])
    for kept in [mid[0], *new]:  # the held message and the young ones are still readable
        assert store.get(vault_ids[kept]).startswith(b"From:") or b"Subject:" in store.get(vault_ids[kept])
    assert packs(customer, "2020") == []  # every message of 2020 expired: the whole year is dropped
    assert packs(customer, "2022")  # 2022 keeps its held message: its pack was rewritten
    tombs = {t.message_id: t for t in Tombstone.objects.filter(customer=customer)}
    assert set(tombs) == gone
    assert all(t.approved_by == ["chefin@kunde.example"] and t.sha256 and t.seq for t in tombs.values())
    hits = runtime.search_index().search(SearchRequest(query="*", customer=customer.id, limit=50))
    assert {h.id for h in hits.hits} == {mid[0], *new}
    code, report = cli(capsys, "vault", "verify", "--customer", customer.id)
    assert code == 0, report
    assert report["ok"] is True
    assert report["messages"]["tombstoned_missing"] == 5
    assert DeletionProposal.objects.get(id=out["id"]).status == "done"
    assert AuditEvent.objects.filter(action="retention.delete", customer_id=customer.id).count() == 1
    code, err = cli(capsys, "retention", "approve", out["id"], "--user", "chefin@kunde.example")
    assert code == 1 and "already carried out" in err


def test_req11_four_eyes_needs_two_different_people(customer, capsys):
    old, mid, new = world(customer)
    code, out = cli(capsys, "retention", "settings", "--customer", customer.id, "--approvals", "2")
    assert code == 0 and out["required_approvals"] == 2
    code, out = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2021-06-01")
    assert code == 0 and out["proposed"] == 3
    approvers(customer, "anna@kunde.example", "bert@kunde.example")
    code, first = cli(capsys, "retention", "approve", out["id"], "--user", "anna@kunde.example")
    assert code == 0 and first == {"deleted": 0, "held": 0, "remaining_approvals": 1, "status": "open"}
    code, err = cli(capsys, "retention", "approve", out["id"], "--user", "Anna@Kunde.example")
    assert code == 1 and "already approved" in err
    assert Message.objects.filter(id__in=old).count() == 3  # one person is not enough
    code, second = cli(capsys, "retention", "approve", out["id"], "--user", "bert@kunde.example")
    assert code == 0 and second["deleted"] == 3 and second["remaining_approvals"] == 0
    assert sorted(Tombstone.objects.get(message_id=old[0]).approved_by) == ["anna@kunde.example",
                                                                            "bert@kunde.example"]


def test_req11_message_held_after_the_proposal_survives_approval(customer, capsys):
    old, mid, new = world(customer)
    code, out = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2021-06-01")
    assert code == 0 and out["proposed"] == 3
    h = hold(customer, [old[1]])
    approvers(customer, "chefin@kunde.example")
    code, result = cli(capsys, "retention", "approve", out["id"], "--user", "chefin@kunde.example")
    assert code == 0 and result["deleted"] == 2 and result["held"] == 1
    assert Message.objects.filter(id=old[1]).exists()
    assert packs(customer, "2020")  # the year still holds a message: not dropped
    store = runtime.store_for(customer.id)
    store.refresh()
    assert b"old body 1" in store.get(Message.objects.get(id=old[1]).vault_id)
    # a released hold: the next run proposes it again
    h.released_at = h.created_at
    h.save()
    assert proposals.held_ids(customer, [old[1]]) == set()
    code, out = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2021-06-01")
    assert code == 0 and out["proposed"] == 1
    code, report = cli(capsys, "vault", "verify", "--customer", customer.id)
    assert code == 0 and report["ok"] is True


def test_req11_bad_input_is_one_clear_line(customer, capsys):
    code, err = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "next tuesday")
    assert code == 1 and err == "kustos: error: --as-of must be a date YYYY-MM-DD, not 'next tuesday'"
    code, err = cli(capsys, "retention", "approve", "dp_nope", "--user", "a@b.example")
    assert code == 1 and "no deletion proposal 'dp_nope'" in err


def test_req11_only_an_authorised_person_approves(customer, capsys):
    old, mid, new = world(customer)
    code, out = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2021-06-01")
    assert code == 0 and out["proposed"] == 3
    code, err = cli(capsys, "retention", "approve", out["id"], "--user", "niemand@kunde.example")
    assert code == 1 and err == "kustos: error: niemand@kunde.example is not an active user"
    factories.user("leser@kunde.example", "end_user", customer=customer)
    code, err = cli(capsys, "retention", "approve", out["id"], "--user", "leser@kunde.example")
    assert code == 1 and err == "kustos: error: leser@kunde.example may not approve deletions of this customer"
    other = factories.customer(customer.partner, "Anderer Kunde")
    factories.user("fremd@anders.example", "customer_admin", customer=other)
    code, err = cli(capsys, "retention", "approve", out["id"], "--user", "fremd@anders.example")
    assert code == 1 and "may not approve deletions of this customer" in err
    assert Message.objects.filter(id__in=old).count() == 3 and not DeletionApproval.objects.exists()
    code, err = cli(capsys, "retention", "settings", "--customer", customer.id, "--approvals", "0")
    assert code == 1 and "between 1 and 5" in err


def test_req11_dashboard_and_api_four_eyes_with_signed_in_people(customer, capsys):
    old, mid, new = world(customer)
    admin = factories.user("chefin@kunde.example", "customer_admin", customer=customer, totp=True)
    partner_admin = factories.user("pa@partner.example", "partner_admin", partner=customer.partner, totp=True)
    web = sign_in(Client(), admin)
    resp = web.post(f"/customers/{customer.id}/retention/", {"action": "settings", "required_approvals": "2"})
    assert resp.status_code == 302
    web.post(f"/customers/{customer.id}/retention/", {"action": "suggest"})
    resp = web.post(f"/customers/{customer.id}/retention/", {"action": "run", "as_of": "2021-06-01"})
    assert resp.status_code == 302
    proposal = DeletionProposal.objects.get(customer=customer)
    assert proposal.messages == 3 and proposal.required_approvals == 2
    page = web.get(f"/customers/{customer.id}/retention/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200 and "Booking vouchers" in text and proposal.id in text
    assert 'data-testid="proposal-approve"' in text
    web.post(f"/customers/{customer.id}/retention/", {"action": "approve", "proposal": proposal.id})
    text = web.get(f"/customers/{customer.id}/retention/").content.decode()
    assert 'data-testid="proposal-approve"' not in text  # the same person cannot approve twice
    assert Message.objects.filter(id__in=old).count() == 3
    # the second person approves over the API
    secret = tokens.create(partner_admin, "t")[1]
    api = Client()
    resp = api.post(f"/api/v1/customers/{customer.id}/retention/proposals/{proposal.id}/approve",
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 200, resp.content
    assert resp.json()["deleted"] == 3 and resp.json()["remaining_approvals"] == 0
    resp = api.get(f"/api/v1/customers/{customer.id}/tombstones", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert sorted(r["id"] for r in resp.json()) == sorted(old)
    assert all(sorted(r["approved_by"]) == ["chefin@kunde.example", "pa@partner.example"] for r in resp.json())
    de = web.get(f"/customers/{customer.id}/retention/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Löschvorschläge" in de and "Grabsteine" in de
    # bad input: one line, 422
    resp = api.post(f"/api/v1/customers/{customer.id}/retention/classes", {"name": "X", "years": 0},
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 422 and resp.json()["detail"] == "years must be between 1 and 100, not 0"


def test_req11_monthly_run_proposes_and_tells_the_admins_but_deletes_nothing(customer, mailoutbox):
    old, mid, new = world(customer)  # 2010 and 2012 mail expired long ago; 2024 mail has not
    factories.user("chefin@kunde.example", "customer_admin", customer=customer)
    assert lifecycle_jobs.monthly_run() == 1
    proposal = DeletionProposal.objects.get(customer=customer)
    assert proposal.created_by == "scheduler" and proposal.messages == 6 and proposal.status == "open"
    assert Message.objects.filter(customer=customer).count() == 8  # nothing deleted automatically
    assert [m.to for m in mailoutbox] == [["chefin@kunde.example"]]
    assert proposal.id in mailoutbox[0].body and "Nothing has been deleted" in mailoutbox[0].body
    assert AuditEvent.objects.filter(action="retention.notify", target=proposal.id).count() == 1


def test_req11_the_monthly_run_is_a_scheduled_periodic_task():
    names = {t.name for t in HUEY._registry.periodic_tasks}
    assert "monthly_retention_run" in names
    task = next(t for t in HUEY._registry.periodic_tasks if t.name == "monthly_retention_run")
    assert task.validate_datetime(datetime(2027, 3, 1, 3, 17)) and not task.validate_datetime(
        datetime(2027, 3, 2, 3, 17))


def test_req11_a_rejected_proposal_deletes_nothing_and_the_next_run_proposes_again(customer, capsys):
    ingest(customer, [mail(1, OLD), mail(2, NEW)])
    approvers(customer, "chefin@kunde.example")
    code, first = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2030-01-01")
    assert code == 0 and first["proposed"] == 1
    code, err = cli(capsys, "retention", "reject", first["id"], "--user", "chefin@kunde.example", "--reason", "x")
    assert code == 1 and "give a reason" in err
    code, out = cli(capsys, "retention", "reject", first["id"], "--user", "chefin@kunde.example", "--reason",
                    "Betriebsprüfung 2020 noch offen")
    assert code == 0 and out["status"] == "rejected" and out["rejected_by"] == "chefin@kunde.example"
    assert Message.objects.filter(customer=customer).count() == 2  # nothing deleted
    code, err = cli(capsys, "retention", "approve", first["id"], "--user", "chefin@kunde.example")
    assert code == 1 and f"proposal {first['id']} was rejected" in err
    assert Message.objects.filter(customer=customer).count() == 2
    assert AuditEvent.objects.filter(action="retention.reject", target=first["id"],
                                     detail__reason="Betriebsprüfung 2020 noch offen").exists()
    code, again = cli(capsys, "retention", "run", "--customer", customer.id, "--as-of", "2030-01-01")
    assert code == 0 and again["proposed"] == 1 and again["id"] != first["id"]


def test_req11_reject_from_the_dashboard_and_the_api(customer):
    world(customer)
    admin = factories.user("chefin@kunde.example", "customer_admin", customer=customer, totp=True)
    web = sign_in(Client(), admin)
    web.post(f"/customers/{customer.id}/retention/", {"action": "run", "as_of": "2021-06-01"})
    first = DeletionProposal.objects.get(customer=customer)
    assert 'data-testid="proposal-reject"' in web.get(f"/customers/{customer.id}/retention/").content.decode()
    resp = web.post(f"/customers/{customer.id}/retention/", {"action": "reject", "proposal": first.id,
                                                            "reason": "Steuerbescheid 2019 offen"})
    assert resp.status_code == 302
    first.refresh_from_db()
    assert first.status == "rejected" and first.result["rejection_reason"] == "Steuerbescheid 2019 offen"
    web.post(f"/customers/{customer.id}/retention/", {"action": "run", "as_of": "2021-06-01"})
    second = DeletionProposal.objects.filter(customer=customer, status="open").get()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(admin, 't')[1]}"}
    url = f"/api/v1/customers/{customer.id}/retention/proposals/{second.id}/reject"
    assert Client().post(url, {"reason": ""}, content_type="application/json", **headers).status_code == 422
    resp = Client().post(url, {"reason": "Außenprüfung angekündigt"}, content_type="application/json", **headers)
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"
    assert Client().post(url, {"reason": "noch einmal"}, content_type="application/json", **headers).status_code == 422
    assert Message.objects.filter(customer=customer).count() == 8
