"""End users (and auditors limited to mailboxes) see only their own mailbox's references of a
message, and ``mailbox:`` on another mailbox answers exactly like a mailbox that does not exist."""

from __future__ import annotations

import re

import pytest

from kustos.archive.services import search as search_service
from tests.integration.archive_access.conftest import ALICE, BOB, SECRET_BCC, World


def test_end_user_sees_only_own_references_of_a_shared_message(world: World):
    msg = world.shared
    resp = world.client("end_user").get(f"/api/v1/messages/{msg.id}", **world.api("end_user"))
    assert resp.status_code == 200
    refs = resp.json()["refs"]
    assert [(r["mailbox"], r["folder"]) for r in refs] == [(ALICE, "INBOX")]
    assert refs[0]["envelope_to"] == [ALICE]
    body = resp.content.decode()
    assert BOB not in body and SECRET_BCC not in body and "Vertraulich" not in body
    page = world.client("end_user").get(f"/archive/messages/{msg.id}/").content.decode()
    assert ALICE in page and BOB not in page and SECRET_BCC not in page and "Vertraulich" not in page
    # The administrator sees both references and the whole envelope.
    admin = world.client("admin").get(f"/api/v1/messages/{msg.id}", **world.api("admin")).json()
    assert {r["mailbox"] for r in admin["refs"]} == {ALICE, BOB}
    assert SECRET_BCC in admin["refs"][0]["envelope_to"]


def _api_total(world: World, who: str, q: str) -> tuple[int, list]:
    resp = world.client(who).get(f"/api/v1/customers/{world.customer.id}/archive/search", {"q": q},
                                 **world.api(who))
    assert resp.status_code == 200
    return resp.json()["total"], resp.json()["hits"]


def _page_total(world: World, who: str, q: str) -> int:
    html = world.client(who).get("/archive/search/", {"customer": world.customer.id, "q": q}).content.decode()
    if 'data-testid="archive-empty"' in html:
        return 0
    return int(re.search(r'data-testid="archive-count">(\d+) message', html).group(1))


@pytest.mark.parametrize("who", ["end_user", "auditor"])
def test_mailbox_probe_cannot_tell_another_mailbox_from_a_missing_one(world: World, who: str):
    if who == "auditor":  # the auditor's grant is limited to alice's mailbox; widen to all mail
        type(world.grant).objects.filter(id=world.grant.id).update(tax_relevant_only=False, date_from=None,
                                                                   date_to=None)
    # The shared message is in alice's AND bob's mailbox: without the fix mailbox:bob finds it.
    for q in (f"mailbox:{BOB}", "mailbox:niemand@kunde.example", "mailbox:bo*", f"rundschreiben mailbox:{BOB}"):
        assert _api_total(world, who, q) == (0, []), q
        assert _page_total(world, who, q) == 0, q
    resp = world.client(who).get(f"/api/v1/customers/{world.customer.id}/archive/search",
                                 {"mailbox": BOB}, **world.api(who))
    assert resp.status_code == 200 and resp.json()["total"] == 0
    assert _api_total(world, who, f"mailbox:{ALICE}")[0] == 7  # 6 own messages + the shared one
    assert search_service.search_as(getattr(world, who), world.customer.id, f"mailbox:{BOB}").total == 0
    # An administrator's mailbox: filter still finds bob's mail.
    assert _api_total(world, "admin", f"mailbox:{BOB}")[0] == 7
