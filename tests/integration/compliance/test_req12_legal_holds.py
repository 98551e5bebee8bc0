"""Requirement 12: legal holds belong to cases; several can apply to one message; any hold blocks
deletion. A test tries to delete a held message and fails; after the release it is deletable again.

Also: a hold records every matching message at once (all pages, however many hits), mail archived
later that matches an active hold is held too, release keeps the hold for the record, every change
is audit-logged, and the CLI, the API and the dashboard ("a case with a hold in two clicks") do it;
auditors never may.
"""

from __future__ import annotations

import functools
import json
from datetime import date

from django.core.exceptions import ValidationError

from kustos.archive.models import Message
from kustos.archive.pipeline import contract
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import messages
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.lifecycle.models import HoldItem, LegalCase, LegalHold
from kustos.lifecycle.services import approve, holds, holds_select, proposals
from tests.integration.compliance import subject_world
from tests.integration.compliance.subject_world import ANNA, BOB, World, mail

world = subject_world.world
_fast_password_hashing = subject_world._fast_password_hashing

FAR = date(2100, 1, 1)
SUPPLIER = {"cc_subject", "unrelated", "bob_supplier"}  # mails from lieferant@supplier.example


def _cli(capsys, *argv: str) -> object:
    assert registry.run([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_req12_a_held_message_cannot_be_deleted_until_every_hold_is_released(world: World, capsys):
    target = world.by_name["unrelated"]  # expired in 2020, deletable but for the holds
    # A deletion proposal made before any hold existed ...
    proposal = proposals.propose(world.customer, [target.id], as_of=FAR, created_by="test")
    assert proposal.messages == 1
    # ... then two cases put it on hold: one by sender, one by subject word.
    first = _cli(capsys, "hold", "create", "--customer", world.customer.id, "--case", "Streit Lieferant",
                 "from:lieferant@supplier.example")
    second = _cli(capsys, "hold", "create", "--customer", world.customer.id, "--case", "Betriebsprüfung",
                  "--mailbox", ANNA, "subject:Lieferschein")
    assert first["messages"] == len(SUPPLIER)
    assert second["messages"] == 1
    assert set(HoldItem.objects.filter(message_id=target.id).values_list("hold_id", flat=True)) == \
        {first["id"], second["id"]}
    assert proposals.held_ids(world.customer, [target.id]) == {target.id}

    # Approval of the old proposal must not delete it; a new proposal leaves it out.
    result = approve.approve(proposal, "it@betroffen.example")
    assert result["deleted"] == 0 and result["held"] == 1
    assert Message.objects.filter(id=target.id).exists()
    assert target.id not in proposals.expired_ids(world.customer, FAR)
    assert proposals.propose(world.customer, [target.id], as_of=FAR, created_by="test").messages == 0

    # Releasing one hold is not enough: the other still applies.
    assert _cli(capsys, "hold", "release", first["id"])["id"] == first["id"]
    assert proposals.held_ids(world.customer, [target.id]) == {target.id}
    assert proposals.propose(world.customer, [target.id], as_of=FAR, created_by="test").messages == 0
    # The held message of the released hold only (bob's) is deletable again.
    assert world.id("bob_supplier") in proposals.expired_ids(world.customer, FAR)

    # Release the second: now the message can be proposed and is deleted on approval.
    _cli(capsys, "hold", "release", second["id"])
    assert proposals.held_ids(world.customer, [target.id]) == set()
    again = proposals.propose(world.customer, [target.id], as_of=FAR, created_by="test")
    assert again.messages == 1
    assert approve.approve(again, "it@betroffen.example")["deleted"] == 1
    assert not Message.objects.filter(id=target.id).exists()

    # Released holds stay for the record, with who and when; the items stay too.
    released = LegalHold.objects.get(id=first["id"])
    assert released.released_at is not None and released.released_by == "cli" and not released.active
    assert HoldItem.objects.filter(hold=released).count() == len(SUPPLIER)
    actions = list(AuditEvent.objects.filter(action__startswith="hold.").values_list("action", "target"))
    assert ("hold.create", first["id"]) in actions and ("hold.release", first["id"]) in actions
    assert ("hold.release", second["id"]) in actions


def test_req12_releasing_twice_and_bad_input_are_one_line_errors(world: World, capsys):
    hold = holds.create(world.customer, "Fall", "subject:Lieferschein", actor="test")
    assert registry.run(["hold", "release", hold.id]) == 0
    capsys.readouterr()
    assert registry.run(["hold", "release", hold.id]) == 1
    err = capsys.readouterr().err
    assert "already released" in err and err.count("\n") == 1
    assert registry.run(["hold", "create", "--customer", world.customer.id, "--case", " ", "x"]) == 1
    assert "case name is empty" in capsys.readouterr().err
    assert registry.run(["hold", "create", "--customer", world.customer.id, "--case", "A", 'subject:"open']) == 1
    assert "invalid search query" in capsys.readouterr().err
    assert registry.run(["hold", "create", "--customer", world.customer.id, "--case", "A", "--mailbox", "nobody",
                         "x"]) == 1
    assert "not an e-mail address" in capsys.readouterr().err
    assert registry.run(["hold", "release", "lh-nonexistent"]) == 1
    assert "no such hold" in capsys.readouterr().err


def test_req12_mail_archived_later_that_matches_an_active_hold_is_held(world: World):
    active = holds.create(world.customer, "Fall Lieferant", "from:lieferant@supplier.example", actor="test")
    everything = holds.create(world.customer, "Alles Bob", "", mailboxes=[BOB], actor="test")
    released = holds.create(world.customer, "Alt", "from:lieferant@supplier.example", actor="test")
    holds.release(released, actor="test")
    late = world.ingest("late", {"From": "lieferant@supplier.example", "To": BOB, "Subject": "Nachlieferung"},
                        mailbox=BOB)
    other = world.ingest("other", {"From": "fremd@else.example", "To": ANNA, "Subject": "Nicht betroffen"})
    held_by = set(HoldItem.objects.filter(message_id=late.id).values_list("hold_id", flat=True))
    assert held_by == {active.id, everything.id}
    assert not HoldItem.objects.filter(message_id=other.id).exists()
    active.refresh_from_db()
    assert active.messages == len(SUPPLIER) + 1
    assert AuditEvent.objects.filter(action="hold.refresh", target=active.id).exists()


def test_req12_a_run_longer_than_its_kept_ids_still_holds_every_matching_mail(world: World, monkeypatch):
    # A long ingest run keeps only its first ids and its sequence range; the hold still sees all.
    monkeypatch.setattr(contract, "KEPT_IDS", 1)
    monkeypatch.setattr(holds, "refresh_holds_for_seqs",
                        functools.partial(holds.refresh_holds_for_seqs, chunk=2))
    hold = holds.create(world.customer, "Fall Spät", "from:spaet@supplier.example", actor="test")
    raws = [mail(900 + n, {"From": "spaet@supplier.example" if n % 2 == 0 else "anders@else.example", "To": BOB,
                           "Subject": f"Lauf {n}"}) for n in range(5)]
    with Ingestor(world.customer, workers=1, batch_size=2).session() as ing:
        result = ing.ingest([Incoming(raw=r, mailbox=BOB, folders=["INBOX"], source="test") for r in raws])
    assert result.imported == 5 and len(result.message_ids) == 1 and not result.ids_complete
    late = set(Message.objects.filter(customer=world.customer, subject__startswith="Lauf ",
                                      from_addr="spaet@supplier.example").values_list("id", flat=True))
    assert len(late) == 3
    others = set(Message.objects.filter(customer=world.customer, subject__startswith="Lauf ",
                                        from_addr="anders@else.example").values_list("id", flat=True))
    held = set(HoldItem.objects.filter(hold=hold).values_list("message_id", flat=True))
    assert len(others) == 2 and late <= held and not others & held


def test_req12_a_hold_covers_every_hit_beyond_one_search_window(world: World, monkeypatch):
    # Shrink the pages and the reachable window so the mails need several date windows.
    monkeypatch.setattr(holds_select, "MAX_LIMIT", 1)
    monkeypatch.setattr(holds_select, "REACH", 2)
    hold = holds.create(world.customer, "Alle Kunden", "kunde", actor="test")
    assert hold.messages == len(subject_world.MAILS)
    assert set(HoldItem.objects.filter(hold=hold).values_list("message_id", flat=True)) == \
        {m.id for m in world.by_name.values()}


def test_req12_api_creates_lists_shows_and_releases_holds(world: World):
    client = world.client(world.partner_admin)
    headers = world.api(world.partner_admin)
    base = f"/api/v1/customers/{world.customer.id}/holds"
    resp = client.post(base, {"case": "Klage 2026", "query": "from:lieferant@supplier.example", "mailboxes": [BOB]},
                       content_type="application/json", **headers)
    assert resp.status_code == 201, resp.content
    created = resp.json()
    assert created["messages"] == 1 and created["mailboxes"] == [BOB] and created["active"]
    listed = client.get(base, **headers).json()
    assert [(c["name"], c["held_messages"]) for c in listed] == [("Klage 2026", 1)]
    case = client.get(f"{base}/cases/{created['case_id']}", **headers).json()
    assert [m["id"] for m in case["items"]] == [world.id("bob_supplier")]
    resp = client.post(f"{base}/{created['id']}/release", **headers)
    assert resp.status_code == 200 and resp.json()["active"] is False
    assert client.post(f"{base}/{created['id']}/release", **headers).status_code == 422
    assert client.post(base, {"case": "", "query": "x"}, content_type="application/json",
                       **headers).status_code == 422
    # Auditors never, partner technicians neither; another partner's customer is not found.
    for user in (world.auditor, world.partner_tech, world.end_user):
        assert world.client(user).get(base, **world.api(user)).status_code == 403
        assert world.client(user).post(base, {"case": "x", "query": ""}, content_type="application/json",
                                       **world.api(user)).status_code == 403
    assert client.get(f"/api/v1/customers/{world.foreign.id}/holds", **headers).status_code == 404
    assert LegalCase.objects.count() == 1


def test_req12_dashboard_opens_a_case_with_a_hold_in_one_step_and_releases_it(world: World):
    client = world.client(world.admin)
    page = client.get(f"/customers/{world.customer.id}/holds/")
    assert page.status_code == 200 and b'data-testid="hold-form"' in page.content
    resp = client.post(f"/customers/{world.customer.id}/holds/",
                       {"case": "Arbeitsgericht", "query": "subject:Lieferung", "mailboxes": ""})
    case = LegalCase.objects.get(customer=world.customer, name="Arbeitsgericht")
    assert resp.status_code == 302 and resp["Location"] == f"/customers/{world.customer.id}/holds/cases/{case.id}/"
    hold = case.holds.get()
    assert hold.messages == 2 and hold.created_by == world.admin.email
    detail = client.get(resp["Location"]).content.decode()
    assert "Lieferung Bob" in detail and "Lieferung" in detail and hold.id in detail
    listing = client.get(f"/customers/{world.customer.id}/holds/").content.decode()
    assert "Arbeitsgericht" in listing
    resp = client.post(f"/customers/{world.customer.id}/holds/{hold.id}/release/")
    assert resp.status_code == 302
    hold.refresh_from_db()
    assert hold.released_by == world.admin.email
    # Bad input is shown, nothing is created.
    resp = client.post(f"/customers/{world.customer.id}/holds/", {"case": "", "query": "x"}, follow=True)
    assert "case name is empty" in resp.content.decode()
    assert LegalCase.objects.count() == 1
    # The customer page links the page for those who may use it.
    assert b'data-testid="holds-link"' in client.get(f"/customers/{world.customer.id}/").content
    assert world.client(world.auditor).get(f"/customers/{world.customer.id}/holds/").status_code == 403


def test_req12_put_on_hold_from_an_archive_search(world: World):
    search = f"/archive/search/?customer={world.customer.id}&q=Lieferschein"
    page = world.client(world.admin).get(search).content.decode()
    link = f'href="/customers/{world.customer.id}/holds/?q=%28Lieferschein%29"'
    assert 'data-testid="hold-from-search"' in page and link in page
    form = world.client(world.admin).get(f"/customers/{world.customer.id}/holds/?q=%28Lieferschein%29").content
    assert b'value="(Lieferschein)"' in form
    for user in (world.end_user, world.auditor):  # they may search, never hold
        assert 'data-testid="hold-from-search"' not in world.client(user).get(search).content.decode()


def test_req12_a_hold_whose_search_fails_does_not_fail_ingest(world: World, capsys):
    broken = holds.create(world.customer, "Kaputt", "subject:Lieferung", actor="test")
    LegalHold.objects.filter(id=broken.id).update(query='subject:"open')  # e.g. a query the parser now refuses
    late = world.ingest("late", {"From": "lieferant@supplier.example", "To": BOB, "Subject": "Lieferung spät"},
                        mailbox=BOB)
    assert Message.objects.filter(id=late.id).exists()
    assert AuditEvent.objects.filter(action="hold.refresh", target=broken.id, outcome="failed").exists()
    LegalHold.objects.filter(id=broken.id).update(query="subject:Lieferung")
    assert _cli(capsys, "hold", "refresh", "--customer", world.customer.id) == {"added": 1}
    assert HoldItem.objects.filter(hold=broken, message_id=late.id).exists()


def test_req12_a_hold_that_cannot_cover_every_hit_is_refused_not_incomplete(world: World, monkeypatch):
    same = world.by_name["from_subject"].date
    for name in ("cc_subject", "unrelated"):  # two supplier mails filed under one and the same second
        Message.objects.filter(id=world.id(name)).update(date=same)
        messages.reindex(Message.objects.get(id=world.id(name)))
    monkeypatch.setattr(holds_select, "MAX_LIMIT", 1)
    monkeypatch.setattr(holds_select, "REACH", 1)
    try:
        holds.create(world.customer, "Zu viel", "from:lieferant@supplier.example", actor="test")
    except ValidationError as exc:
        assert "narrow the query" in exc.messages[0]
    else:
        raise AssertionError("an incomplete hold was created")
    assert not LegalCase.objects.filter(name="Zu viel").exists()
