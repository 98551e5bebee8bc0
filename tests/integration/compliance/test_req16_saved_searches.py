"""Requirement 16: saved searches, shared read-only with the customer's auditors (Z2).

An auditor sees and runs the searches shared with them — always within the grant (date range,
mailbox, tax-relevant only), the filter still applied inside the index query — never unshared
ones, and may change none. Dashboard, API and CLI; every change and run audited.

The mails: tests/integration/archive_access/conftest.py (the auditor may see tax-relevant mail of
alice's mailbox from February to August 2024: messages 2 and 4 of the six flagged 0, 2, 3, 4, 8, 10).
"""

from __future__ import annotations

import json
import re

from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.compliance.models import SavedSearch
from tests.integration.archive_access import conftest as access_world
from tests.integration.archive_access.conftest import World

world = access_world.world
_fast_password_hashing = access_world._fast_password_hashing


def _create(world: World, name: str, query: str, shared: bool) -> dict:
    resp = world.client("admin").post(f"/api/v1/customers/{world.customer.id}/saved-searches",
                                      {"name": name, "query": query, "shared_with_auditors": shared},
                                      content_type="application/json", **world.api("admin"))
    assert resp.status_code == 201, resp.content
    return resp.json()


def test_req16_auditor_sees_and_runs_shared_searches_within_the_grant(world: World):
    shared = _create(world, "Rechnungen", "Rechnung", True)
    private = _create(world, "Intern", "Rundschreiben", False)
    cid = world.customer.id
    listed = world.client("auditor").get(f"/api/v1/customers/{cid}/saved-searches", **world.api("auditor")).json()
    assert [(s["id"], s["editable"]) for s in listed] == [(shared["id"], False)]
    # the admin sees both
    assert {s["id"] for s in world.client("admin").get(f"/api/v1/customers/{cid}/saved-searches",
                                                       **world.api("admin")).json()} == {shared["id"], private["id"]}

    # "Rechnung" matches all 12 invoices and the circular; the auditor's run returns only 2 (date range,
    # alice's mailbox, tax-relevant) — the admin's run of the same search all 13
    run = world.client("auditor").get(f"/api/v1/saved-searches/{shared['id']}/results", {"limit": "100"},
                                      **world.api("auditor"))
    assert run.status_code == 200
    assert run.json()["total"] == 2 and {h["id"] for h in run.json()["hits"]} == world.allowed_ids()
    admin_run = world.client("admin").get(f"/api/v1/saved-searches/{shared['id']}/results", {"limit": "100"},
                                          **world.api("admin")).json()
    assert admin_run["total"] == 13  # and the circular, whose body names an invoice too
    # an unshared search does not exist for the auditor
    assert world.client("auditor").get(f"/api/v1/saved-searches/{private['id']}/results",
                                       **world.api("auditor")).status_code == 404

    # dashboard: the auditor's list shows the shared one only, without share/delete buttons; running
    # it opens the search page with the query, where the grant applies
    client = world.client("auditor")
    page = client.get("/archive/saved-searches/", {"customer": cid}).content.decode()
    assert "Rechnungen" in page and "Intern" not in page
    assert 'href="/archive/saved-searches/"' in client.get("/").content.decode()  # in the auditor's navigation
    assert 'data-testid="saved-search-share"' not in page and 'data-testid="saved-search-delete"' not in page
    resp = client.get("/archive/saved-searches/run/", {"id": shared["id"]})
    assert resp.status_code == 302 and resp["Location"].startswith("/archive/search/?")
    hits = set(re.findall(r'href="/archive/messages/(ms_\w+)/" data-testid="hit-link"',
                          client.get(resp["Location"]).content.decode()))
    assert hits == world.allowed_ids()
    assert client.get("/archive/saved-searches/run/", {"id": private["id"]}).status_code == 404
    assert AuditEvent.objects.filter(action="saved_search.run", actor=world.auditor.email,
                                     target=shared["id"]).count() == 1


def test_req16_auditor_cannot_create_share_or_delete(world: World):
    shared = _create(world, "Rechnungen", "Rechnung", True)
    cid, client, headers = world.customer.id, world.client("auditor"), world.api("auditor")
    assert client.post(f"/api/v1/customers/{cid}/saved-searches", {"name": "Meins", "query": "x"},
                       content_type="application/json", **headers).status_code == 403
    assert client.post(f"/api/v1/saved-searches/{shared['id']}/share", {"shared_with_auditors": False},
                       content_type="application/json", **headers).status_code == 403
    assert client.delete(f"/api/v1/saved-searches/{shared['id']}", **headers).status_code == 403
    assert client.post("/archive/saved-searches/create/", {"customer": cid, "name": "Meins", "query": "x"}).status_code == 403
    assert client.post("/archive/saved-searches/share/", {"id": shared["id"], "shared": "0"}).status_code == 403
    assert client.post("/archive/saved-searches/remove/", {"id": shared["id"]}).status_code == 403
    saved = SavedSearch.objects.get(id=shared["id"])
    assert saved.shared_with_auditors and saved.name == "Rechnungen" and SavedSearch.objects.count() == 1
    # an end user may keep own searches but not share them with auditors
    eu = world.client("end_user")
    assert eu.post(f"/api/v1/customers/{cid}/saved-searches", {"name": "Meine", "shared_with_auditors": True},
                   content_type="application/json", **world.api("end_user")).status_code == 403
    assert eu.post(f"/api/v1/customers/{cid}/saved-searches", {"name": "Meine", "query": "Beleg"},
                   content_type="application/json", **world.api("end_user")).status_code == 201
    # and does not see the admin's
    names = [s["name"] for s in eu.get(f"/api/v1/customers/{cid}/saved-searches", **world.api("end_user")).json()]
    assert names == ["Meine"]


def test_req16_sharing_is_toggled_and_unsharing_hides_it_again(world: World):
    saved = _create(world, "Belege", "Beleg", False)
    cid = world.customer.id
    admin = world.client("admin")
    page = admin.get(f"/archive/search/?customer={cid}&q=Beleg").content.decode()
    assert 'data-testid="save-search"' in page and 'name="query" value="(Beleg)"' in page
    assert admin.post("/archive/saved-searches/share/", {"id": saved["id"], "shared": "1"}).status_code == 302
    assert [s["id"] for s in world.client("auditor").get(f"/api/v1/customers/{cid}/saved-searches",
                                                          **world.api("auditor")).json()] == [saved["id"]]
    resp = admin.post(f"/api/v1/saved-searches/{saved['id']}/share", {"shared_with_auditors": False},
                      content_type="application/json", **world.api("admin"))
    assert resp.status_code == 200 and resp.json()["shared_with_auditors"] is False
    assert world.client("auditor").get(f"/api/v1/customers/{cid}/saved-searches", **world.api("auditor")).json() == []
    # the dashboard's "Save this search" creates one; a duplicate name is refused with a clear message
    assert admin.post("/archive/saved-searches/create/", {"customer": cid, "name": "Q1", "query": "Rechnung"}).status_code == 302
    resp = admin.post(f"/api/v1/customers/{cid}/saved-searches", {"name": "Q1", "query": "x"},
                      content_type="application/json", **world.api("admin"))
    assert resp.status_code == 422 and resp.json()["detail"] == "a saved search named 'Q1' already exists"
    resp = admin.post(f"/api/v1/customers/{cid}/saved-searches", {"name": "Kaputt", "query": '"offen'},
                      content_type="application/json", **world.api("admin"))
    assert resp.status_code == 422 and resp.json()["detail"].startswith("invalid query:")
    assert admin.post("/archive/saved-searches/remove/", {"id": saved["id"]}).status_code == 302
    assert not SavedSearch.objects.filter(id=saved["id"]).exists()
    actions = list(AuditEvent.objects.filter(action__startswith="saved_search.").order_by("seq")
                   .values_list("action", flat=True))
    assert actions == ["saved_search.create", "saved_search.share", "saved_search.share", "saved_search.create",
                       "saved_search.remove"]


def test_req16_cli_add_list_share_remove(world: World, capsys):
    cid = world.customer.id
    assert registry.run(["saved-search", "add", "--customer", cid, "Rechnungen 2024", "Rechnung", "after:2024",
                         "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["query"] == "Rechnung after:2024" and made["shared_with_auditors"] is False and made["owner"] == "cli"
    assert registry.run(["saved-search", "share", made["id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["shared_with_auditors"] is True
    assert registry.run(["saved-search", "list", "--customer", cid, "--json"]) == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)] == ["Rechnungen 2024"]
    run = world.client("auditor").get(f"/api/v1/saved-searches/{made['id']}/results", **world.api("auditor")).json()
    assert {h["id"] for h in run["hits"]} == world.allowed_ids()
    assert registry.run(["saved-search", "add", "--customer", cid, "Rechnungen 2024", "x"]) == 1
    assert capsys.readouterr().err.strip() == "kustos: error: a saved search named 'Rechnungen 2024' already exists"
    assert registry.run(["saved-search", "remove", made["id"], "--json"]) == 0
    capsys.readouterr()
    assert registry.run(["saved-search", "remove", made["id"]]) == 1
    assert capsys.readouterr().err.strip() == f"kustos: error: no saved search with id '{made['id']}'"


def test_req16_pages_in_german(world: World):
    _create(world, "Belege", "Beleg", True)
    admin = world.client("admin")
    page = admin.get("/archive/saved-searches/", {"customer": world.customer.id}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Gespeicherte Suchen" in page and "Freigabe beenden" in page and "Gespeichert von" in page
    search = admin.get(f"/archive/search/?customer={world.customer.id}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Diese Suche speichern" in search and "Für die Prüfer des Kunden lesend freigeben" in search
    tree = admin.get(f"/archive/customers/{world.customer.id}/folders/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Jede in diesem Ordner archivierte Nachricht gilt als steuerrelevant" in tree
