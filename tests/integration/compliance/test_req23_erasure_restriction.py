"""Requirement 23: erasure requests get a per-message decision — restricted (in retention or on
hold: hidden from normal search, kept for the blocking purpose) or deleted via requirement 11 —
each decision logged with its reason. Restriction requests restrict every message.

A restricted message is no longer found by a normal search, its view answers 404 for a normal
user, and its bytes stay in the vault.
"""

from __future__ import annotations

import json
from datetime import date

from kustos.archive.models import Message
from kustos.archive.services import messages
from kustos.archive.services import search as search_service
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.lifecycle.models import DeletionProposal, GdprRequest, ProposalItem
from kustos.lifecycle.services import approve, gdpr, holds, holds_select, runs
from tests.integration.compliance import subject_world
from tests.integration.compliance.subject_world import CONCERNING, FUTURE, SUBJECT, World

world = subject_world.world
_fast_password_hashing = subject_world._fast_password_hashing

TODAY = date(2026, 12, 6)


def _found_by_end_user(world: World, name: str) -> bool:
    subject = world.by_name[name].subject
    result = search_service.search_as(world.end_user, world.customer.id, f'subject:"{subject}"')
    return world.id(name) in {h.id for h in result.hits}


def test_req23_erasure_restricts_what_retention_or_a_hold_blocks_and_proposes_the_rest(world: World, capsys):
    hold = holds.create(world.customer, "Gewährleistung Lieferung", "subject:Lieferung", actor="test")
    assert _found_by_end_user(world, "to_subject") and _found_by_end_user(world, "cc_subject")
    decided = gdpr.run(world.customer, "erase", SUBJECT, actor=world.admin, today=TODAY)
    out = gdpr.as_dict(decided)
    by_message = {d["message"]: d for d in out["decisions"]}
    assert set(by_message) == {world.id(n) for n in CONCERNING}

    # still in retention -> restricted, with the duty and its end
    retained = by_message[world.id("to_subject")]
    assert retained["decision"] == "restricted"
    assert retained["reason"] == (f"legal retention duty until {FUTURE.isoformat()} (§ 147 AO / § 257 HGB), "
                                  "Art. 17(3)(b)")
    # on a legal hold -> restricted, naming the case
    held = by_message[world.id("cc_subject")]
    assert held["decision"] == "restricted" and "Gewährleistung Lieferung" in held["reason"]
    assert held["holds"] == [hold.id]
    # the others: retention over, no hold -> one deletion proposal (deleted only after approval)
    proposed = {m for m, d in by_message.items() if d["decision"] == "deletion_proposed"}
    assert proposed == {world.id(n) for n in CONCERNING} - {world.id("to_subject"), world.id("cc_subject")}
    proposal = DeletionProposal.objects.get(id=by_message[next(iter(proposed))]["proposal"])
    assert set(ProposalItem.objects.filter(proposal=proposal).values_list("message_id", flat=True)) == proposed
    assert all(Message.objects.filter(id=m).exists() for m in proposed)  # nothing deleted yet
    assert decided.summary == {"restricted": 2, "deletion_proposed": len(proposed)}

    # every decision is in the audit log with its reason
    for message_id, d in by_message.items():
        assert AuditEvent.objects.filter(action="gdpr.decision", target=message_id, detail__request=decided.id,
                                         detail__decision=d["decision"], detail__reason=d["reason"]).exists()
    assert AuditEvent.objects.filter(action="gdpr.erase", target=decided.id).exists()

    # restricted: gone from normal search and from a normal user's view; the bytes stay in the vault
    for name in ("to_subject", "cc_subject"):
        msg = Message.objects.get(id=world.id(name))
        assert msg.restricted and msg.indexed
        assert not _found_by_end_user(world, name)
        resp = world.client(world.end_user).get(f"/archive/messages/{msg.id}/")
        assert resp.status_code == 404
        assert world.client(world.end_user).get(f"/api/v1/messages/{msg.id}", **world.api(world.end_user)) \
            .status_code == 404
        assert messages.raw(msg) == messages.raw(world.by_name[name])  # kept for the blocking purpose
    assert _found_by_end_user(world, "unrelated")  # others untouched

    # approval carries the proposed deletions out; the restricted messages stay
    assert approve.approve(proposal, "it@betroffen.example")["deleted"] == len(proposed)
    assert not Message.objects.filter(id__in=proposed).exists()
    assert Message.objects.filter(id__in=[world.id("to_subject"), world.id("cc_subject")]).count() == 2


def test_req23_restriction_restricts_every_message_and_the_cli_prints_the_decisions(world: World, capsys):
    assert registry.run(["gdpr", "restrict", "--customer", world.customer.id, "--subject", SUBJECT, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {d["message"] for d in out["decisions"]} == {world.id(n) for n in CONCERNING}
    assert {(d["decision"], d["reason"]) for d in out["decisions"]} == {
        ("restricted", "restriction of processing requested by the data subject, Art. 18")}
    assert set(out) >= {"request", "decisions"}
    assert Message.objects.filter(customer=world.customer, restricted=True).count() == len(CONCERNING)
    for name in CONCERNING:
        assert not _found_by_end_user(world, name)
    assert _found_by_end_user(world, "lookalike")
    assert not DeletionProposal.objects.exists()
    # An erasure afterwards finds the restricted messages too (restricted mail stays searchable for it).
    assert registry.run(["gdpr", "erase", "--customer", world.customer.id, "--subject", SUBJECT, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert len(again["decisions"]) == len(CONCERNING)
    assert GdprRequest.objects.filter(customer=world.customer).count() == 2


def test_req23_api_and_dashboard_show_decisions_with_reasons(world: World):
    headers = world.api(world.partner_admin)
    client = world.client(world.partner_admin)
    resp = client.post(f"/api/v1/customers/{world.customer.id}/gdpr/requests", {"kind": "erase", "subject": SUBJECT},
                       content_type="application/json", **headers)
    assert resp.status_code == 201, resp.content
    decisions = resp.json()["decisions"]
    assert {d["decision"] for d in decisions} == {"restricted", "deletion_proposed"}
    page = client.get(f"/customers/{world.customer.id}/gdpr/{resp.json()['request']}/").content.decode()
    assert "legal retention duty until 2031-12-31" in page
    assert page.count('data-testid="decision-row"') == len(CONCERNING)
    report = client.get(f"/customers/{world.customer.id}/gdpr/{resp.json()['request']}/report/").content.decode()
    assert "Erasure request (Art. 17 GDPR)" in report and "Art. 17(3)(b)" in report
    for user in (world.auditor, world.end_user):
        assert world.client(user).post(f"/api/v1/customers/{world.customer.id}/gdpr/requests",
                                       {"kind": "restrict", "subject": SUBJECT}, content_type="application/json",
                                       **world.api(user)).status_code == 403
        assert world.client(user).post(f"/customers/{world.customer.id}/gdpr/",
                                       {"kind": "restrict", "subject": SUBJECT}).status_code == 403
    assert Message.objects.filter(customer=world.customer, restricted=True).count() == 1


def test_req23_large_requests_are_read_in_chunks(world: World, monkeypatch):
    monkeypatch.setattr(holds_select, "CHUNK", 2)  # seven messages concern the subject: four chunks
    holds.create(world.customer, "Fall", "subject:Lieferung", actor="test")
    request = gdpr.run(world.customer, "erase", SUBJECT, actor="test", today=TODAY)
    assert request.messages == len(CONCERNING)
    assert request.summary == {"restricted": 2, "deletion_proposed": len(CONCERNING) - 2}
    assert gdpr.run(world.customer, "restrict", SUBJECT, actor="test").messages == len(CONCERNING)
    assert Message.objects.filter(customer=world.customer, restricted=True).count() == len(CONCERNING)


def test_req23_restricted_for_the_retention_duty_is_proposed_once_the_duty_ends(world: World):
    """A message restricted because retention still ran is proposed for deletion by the first
    retention run after its end, unless a hold still blocks it."""
    hold = holds.create(world.customer, "Gewährleistung Lieferung", "subject:Lieferung", actor="test")
    gdpr.run(world.customer, "erase", SUBJECT, actor=world.admin, today=TODAY)
    retained, held = world.id("to_subject"), world.id("cc_subject")
    assert Message.objects.get(id=retained).restricted and Message.objects.get(id=held).restricted
    DeletionProposal.objects.all().delete()  # the erasure's own proposal is not the point here

    result = runs.run(world.customer, as_of=date(FUTURE.year + 1, 1, 1), created_by="test")
    proposed = set(ProposalItem.objects.filter(proposal_id=result["id"]).values_list("message_id", flat=True))
    assert retained in proposed and held not in proposed
    holds.release(hold, actor="test")
    later = runs.run(world.customer, as_of=date(FUTURE.year + 1, 1, 1), created_by="test")
    assert held in set(ProposalItem.objects.filter(proposal_id=later["id"]).values_list("message_id", flat=True))
