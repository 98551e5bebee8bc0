"""Requirement 15: customers flag messages, folders or rules as tax-relevant; an auditor limited to
tax-relevant mail sees a message when it, any of its folders, or its retention class or rule is
flagged — in search (inside the index query), message view, downloads and every export — and there
is no "export all mail" for such an auditor.

The mails: tests/integration/archive_access/conftest.py (12 invoices over 2024 in alice's and bob's
INBOX, six flagged, one journaled message in alice's INBOX and bob's "Vertraulich"; the auditor may
see tax-relevant mail of alice's mailbox from February to August 2024: messages 2 and 4).
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from kustos.archive.models import Folder, Message
from kustos.archive.services import search as search_service
from kustos.archive.services import tax_flags
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.lifecycle.models import RetentionClass, RetentionRule
from kustos.lifecycle.services import classes, classify, rules
from kustos.search import IndexBusy
from tests.integration.archive_access import conftest as access_world
from tests.integration.archive_access.conftest import ALICE, BOB, World

world = access_world.world
_fast_password_hashing = access_world._fast_password_hashing


def _auditor_ids(world: World) -> set[str]:
    return {h.id for h in search_service.search_as(world.auditor, world.customer.id, "*", limit=100).hits}


def _streamed(resp) -> bytes:
    return b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content


def _zip_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


def _export_ids(world: World) -> dict[str, set[str]]:
    """What the auditor gets from every export path, by path."""
    client, headers, cid = world.client("auditor"), world.api("auditor"), world.customer.id
    out = {}
    resp = client.post(f"/api/v1/customers/{cid}/exports/z3", {"query": ""}, content_type="application/json",
                       **headers)
    assert resp.status_code == 200
    out["api z3"] = {n.removeprefix("mails/").removesuffix(".eml") for n in _zip_names(_streamed(resp))
                     if n.startswith("mails/")}
    resp = client.post("/archive/export/z3/", {"customer": cid, "q": ""})
    assert resp.status_code == 200
    out["dashboard z3"] = {n.removeprefix("mails/").removesuffix(".eml") for n in _zip_names(_streamed(resp))
                           if n.startswith("mails/")}
    resp = client.post(f"/api/v1/customers/{cid}/archive/export", {"query": "", "format": "eml-zip"},
                       content_type="application/json", **headers)
    assert resp.status_code == 200
    out["api export"] = {n.split("-", 1)[1].removesuffix(".eml") for n in _zip_names(_streamed(resp))}
    every = [m.id for m in Message.objects.filter(customer=world.customer)]
    resp = client.post("/archive/export/", {"customer": cid, "format": "eml-zip", "ids": every})
    assert resp.status_code == 200
    out["dashboard export of hand-picked ids"] = {n.split("-", 1)[1].removesuffix(".eml")
                                                  for n in _zip_names(_streamed(resp))}
    return out


def test_req15_flagging_a_folder_makes_its_mail_visible_to_the_tax_auditor(world: World, capsys):
    six = world.by_i[6]  # alice's INBOX, inside the window, not flagged itself
    assert _auditor_ids(world) == world.allowed_ids()
    assert world.client("auditor").get(f"/api/v1/messages/{six.id}/raw", **world.api("auditor")).status_code == 404

    assert registry.run(["archive", "flag-folder", "--customer", world.customer.id, "--mailbox", ALICE.upper(),
                         "--folder", "INBOX", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    in_inbox = Message.objects.filter(refs__folder__mailbox__address=ALICE, refs__folder__path="INBOX").distinct()
    assert out == {"mailbox": ALICE, "folder": "INBOX", "tax_relevant": True, "messages": in_inbox.count()}
    assert not Message.objects.filter(customer=world.customer, indexed=False).exists()  # reindexed at once
    # every alice INBOX message of the window now counts: 2, 4 (flagged), 6 and the journaled one
    expected = world.allowed_ids() | {six.id, world.shared.id}
    assert _auditor_ids(world) == expected
    assert not Message.objects.get(id=six.id).tax_relevant  # the message's own flag is untouched
    meta = world.client("admin").get(f"/api/v1/messages/{six.id}", **world.api("admin")).json()
    assert meta["tax_relevant"] is False and meta["tax_relevant_effective"] is True
    resp = world.client("auditor").get(f"/api/v1/messages/{six.id}/raw", **world.api("auditor"))
    assert resp.status_code == 200 and resp["X-Content-SHA256"] == six.sha256
    assert world.client("auditor").get(f"/archive/messages/{six.id}/").status_code == 200
    assert all(ids == expected for ids in _export_ids(world).values())
    # bob's INBOX is not flagged: his unflagged message 5 stays invisible to everyone limited to tax mail
    assert world.by_i[5].id not in _auditor_ids(world)

    # unmark through the API: back to the messages flagged themselves
    resp = world.client("admin").post(f"/api/v1/customers/{world.customer.id}/archive/folders/tax-relevant",
                                      {"mailbox": ALICE, "folder": "INBOX", "tax_relevant": False},
                                      content_type="application/json", **world.api("admin"))
    assert resp.status_code == 200 and resp.json()["tax_relevant"] is False
    assert _auditor_ids(world) == world.allowed_ids()
    assert world.client("auditor").get(f"/archive/messages/{six.id}/").status_code == 404
    assert all(ids == world.allowed_ids() for ids in _export_ids(world).values())

    # and the dashboard toggle on the folder tree marks it again
    page = world.client("admin").get(f"/archive/customers/{world.customer.id}/folders/").content.decode()
    assert page.count('data-testid="folder-tax"') == 3  # alice INBOX, bob INBOX, bob Vertraulich
    resp = world.client("admin").post(f"/archive/customers/{world.customer.id}/folders/tax-relevant/",
                                      {"mailbox": ALICE, "folder": "INBOX", "tax_relevant": "1"})
    assert resp.status_code == 302 and Folder.objects.get(mailbox__address=ALICE, path="INBOX").tax_relevant
    assert "Unmark tax-relevant" in world.client("admin").get(
        f"/archive/customers/{world.customer.id}/folders/").content.decode()
    assert _auditor_ids(world) == expected
    events = AuditEvent.objects.filter(action="archive.folder_tax_relevant", customer_id=world.customer.id)
    assert [e.detail["tax_relevant"] for e in events.order_by("seq")] == [True, False, True]


def test_req15_only_customer_admins_and_partner_staff_flag_folders(world: World, capsys):
    cid = world.customer.id
    for who in ("auditor", "end_user"):
        resp = world.client(who).post(f"/api/v1/customers/{cid}/archive/folders/tax-relevant",
                                      {"mailbox": ALICE, "folder": "INBOX"}, content_type="application/json",
                                      **world.api(who))
        assert resp.status_code == 403, who
        assert world.client(who).post(f"/archive/customers/{cid}/folders/tax-relevant/",
                                      {"mailbox": ALICE, "folder": "INBOX"}).status_code == 403
        assert 'data-testid="folder-tax"' not in world.client(who).get(f"/archive/customers/{cid}/folders/").content.decode()
    assert not Folder.objects.filter(mailbox__customer_id=cid, tax_relevant=True).exists()
    resp = world.client("admin").post(f"/api/v1/customers/{cid}/archive/folders/tax-relevant",
                                      {"mailbox": ALICE, "folder": "Nirgendwo"}, content_type="application/json",
                                      **world.api("admin"))
    assert resp.status_code == 404 and resp.json()["detail"] == f"no folder 'Nirgendwo' in mailbox '{ALICE}'"
    listed = world.client("admin").get(f"/api/v1/customers/{cid}/archive/folders", **world.api("admin")).json()
    assert [(f["mailbox"], f["folder"], f["tax_relevant"]) for f in listed] == [
        (ALICE, "INBOX", False), (BOB, "INBOX", False), (BOB, "Vertraulich", False)]
    assert registry.run(["archive", "folders", "--customer", cid, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == listed
    assert registry.run(["archive", "flag-folder", "--customer", cid, "--mailbox", ALICE, "--folder", "Nope"]) == 1
    assert capsys.readouterr().err.strip() == f"kustos: error: no folder 'Nope' in mailbox '{ALICE}'"


@pytest.mark.parametrize("via", ["class", "rule"])
def test_req15_a_tax_relevant_retention_class_or_rule_counts(world: World, via: str):
    six = world.by_i[6]
    klass = RetentionClass.objects.create(customer=world.customer, name="Buchungsbelege", years=8,
                                          tax_relevant=via == "class")
    rule = RetentionRule.objects.create(customer=world.customer, retention_class=klass, from_addr="@supplier.example",
                                        tax_relevant=via == "rule")
    Message.objects.filter(id=six.id).update(retention_class=klass.name, retention_rule=rule.id)
    assert tax_flags.reindex_messages(world.customer, [six.id]) == 1
    assert _auditor_ids(world) == world.allowed_ids() | {six.id}
    assert world.client("auditor").get(f"/archive/messages/{six.id}/").status_code == 200
    # the same class and rule without the flag: not tax-relevant once the documents are rewritten
    RetentionClass.objects.filter(id=klass.id).update(tax_relevant=False)
    RetentionRule.objects.filter(id=rule.id).update(tax_relevant=False)
    assert world.client("auditor").get(f"/archive/messages/{six.id}/").status_code == 404  # view: at once
    assert tax_flags.retention_flag_changed(world.customer, class_name=klass.name, rule_id=rule.id) == 1
    assert _auditor_ids(world) == world.allowed_ids()
    assert world.client("auditor").get(f"/archive/messages/{six.id}/").status_code == 404


def test_req15_no_export_path_gives_the_tax_auditor_unflagged_mail(world: World):
    """No "export all mail": every export path, every download and the message view answer only
    flagged mail of the grant; unflagged mail is 404 or simply absent."""
    allowed = world.allowed_ids()
    unflagged = [m for i, m in world.by_i.items() if m.id not in allowed] + [world.shared]
    assert all(ids == allowed for ids in _export_ids(world).values())
    client, headers = world.client("auditor"), world.api("auditor")
    for msg in unflagged:
        for url in (f"/api/v1/messages/{msg.id}", f"/api/v1/messages/{msg.id}/raw",
                    f"/api/v1/messages/{msg.id}/attachments/{world.part(msg)}", f"/archive/messages/{msg.id}/",
                    f"/archive/messages/{msg.id}/raw/", f"/archive/messages/{msg.id}/original/"):
            assert client.get(url, **headers).status_code == 404, url
    # a query naming unflagged mail finds nothing, and the Z3 export of it is empty
    resp = client.post(f"/api/v1/customers/{world.customer.id}/exports/z3", {"query": "Beleg 6"},
                       content_type="application/json", **headers)
    assert resp.status_code == 200 and resp["X-Export-Count"] == "0"
    # every other export operation of the API (evidence bundles, data-subject exports, ...) is either
    # refused to the auditor or holds none of the unflagged messages
    known = {"/api/v1/customers/{customer_id}/exports/z3", "/api/v1/customers/{customer_id}/archive/export"}
    spec = world.client("admin").get("/api/v1/openapi.json").json()["paths"]
    others = {p: ops for p, ops in spec.items() if "export" in p and p not in known}
    hidden = {m.id for m in unflagged}
    for path, ops in others.items():
        url = re.sub(r"\{(\w+)\}", lambda m: world.customer.id if m.group(1) == "customer_id" else "nothere", path)
        for method in ops:
            call = getattr(client, method)
            resp = call(url, {}, content_type="application/json", **headers) if method != "get" else call(url, **headers)
            assert resp.status_code in (200, 403, 404), (method, path, resp.status_code)
            if resp.status_code == 200:
                data = _streamed(resp)
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    names = " ".join(zf.namelist())
                    text = b" ".join(zf.read(n) for n in zf.namelist())
                assert not any(i in names or i.encode() in text for i in hidden), (method, path)
                assert any(i in names for i in allowed), (method, path)


def test_req15_a_busy_index_leaves_the_folder_flagged_and_the_next_ingest_rewrites(world: World, monkeypatch):
    """Another process holds the index writer: the flag is stored, its messages stay marked for
    reindexing, and the next ingest session of the customer rewrites their documents."""
    def busy(customer):
        raise IndexBusy(customer.id, 1.0)

    monkeypatch.setattr(tax_flags, "reindex_pending", busy)
    folder = tax_flags.get_folder(world.customer, ALICE, "INBOX")
    assert tax_flags.flag_folder(folder, True, actor="test")["tax_relevant"] is True
    pending = set(Message.objects.filter(customer=world.customer, indexed=False).values_list("id", flat=True))
    assert world.by_i[6].id in pending
    assert world.by_i[6].id not in _auditor_ids(world)  # the index is not rewritten yet
    monkeypatch.undo()
    with Ingestor(world.customer, workers=1).session():
        pass
    assert not Message.objects.filter(customer=world.customer, indexed=False).exists()
    assert world.by_i[6].id in _auditor_ids(world)


def test_req15_classifying_with_a_tax_relevant_rule_updates_the_auditors_search(world: World):
    """Through the lifecycle services: applying a tax-relevant rule and later switching its flag off
    rewrite the search documents, so the auditor's search follows at once."""
    six = world.by_i[6]
    classes.add(world.customer, "Bücher", None, actor="test")  # extends the default 10 years
    rule = rules.add(world.customer, "Bücher", from_addr="lieferant6@supplier.example", tax_relevant=True,
                     actor="test")
    assert six.id not in _auditor_ids(world)
    classify.apply(world.customer, actor="test")
    assert Message.objects.get(id=six.id).retention_rule == rule.id
    assert _auditor_ids(world) == world.allowed_ids() | {six.id}
    rules.update(world.customer, rule.id, tax_relevant=False, actor="test")
    assert _auditor_ids(world) == world.allowed_ids()
