"""`kustos vault recover` rebuilds an empty database from the vault and the master key alone.

A corpus sample is archived for two customers of two partners (a Maildir with folders, single
files, mail in two mailboxes); every id, folder, sequence number and a few search results are
remembered. Then every table is emptied and the search index dropped (same KUSTOS_HOME vault,
same master key), and `kustos vault recover` must bring back the partners and customers with
their ids and names, every message under its archive id with its folders, the ingest sequence
and the same search results.
"""

from __future__ import annotations

import json
import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command

from kustos.archive import index_admin
from kustos.archive.models import IngestCounter, Message, MessageRef
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import imports
from kustos.archive.services.ingest import Ingestor
from kustos.cli import registry
from kustos.core import runtime
from kustos.tenants.models import Customer, Partner
from kustos.tenants.services import customers, locations
from tests import factories

QUERIES = ("*", "the", "subject:test", "folder:cur")


@pytest.fixture
def home(transactional_db, tmp_path, settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    yield tmp_path
    runtime.reset()


def cli(capsys, *argv: str):
    capsys.readouterr()
    code = registry.run([*argv, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def state() -> dict:
    partners = sorted(Partner.objects.values_list("id", "name"))
    custs = sorted(Customer.objects.values_list("id", "name", "legal_name", "partner_id", "location_id"))
    msgs = sorted(Message.objects.values_list("id", "customer_id", "seq", "sha256", "vault_id", "subject"))
    refs = sorted(MessageRef.objects.values_list("message_id", "mailbox__address", "folder__path", "source"))
    counters = sorted(IngestCounter.objects.values_list("customer_id", "last_seq"))
    return {"partners": partners, "customers": custs, "messages": msgs, "refs": refs, "counters": counters}


def searches(capsys, customer_ids: list[str]) -> dict:
    out = {}
    for cid in customer_ids:
        for q in QUERIES:
            found = cli(capsys, "search", "--customer", cid, "--limit", "500", q)
            out[(cid, q)] = (found["total"], sorted(h["id"] for h in found["hits"]))
    return out


def extra(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"absender{i}@partner.example"
    msg["To"] = "buchhaltung@kunde.example"
    msg["Subject"] = f"Rechnung {i}"
    msg["Date"] = f"Mon, 0{i + 1} Mar 20{10 + i} 10:00:00 +0100"  # several retention years in one batch
    msg.set_content(f"Rechnung Nummer {i}")
    return msg.as_bytes()


def test_recover_empty_database_restores_customers_messages_folders_and_search(home, corpus: Path, capsys):
    maildir = corpus / "email" / "edge" / "mu" / "testdir"
    replies = corpus / "email" / "edge" / "talon" / "standard_replies"
    if not maildir.is_dir() or not replies.is_dir():
        pytest.skip("corpus sample absent")
    first = factories.customer(factories.partner("Systemhaus Nord"), "Muster GmbH")
    customers.update(first, {"legal_name": "Muster Gesellschaft mbH"})
    second = factories.customer(factories.partner("Systemhaus Süd"), "Beispiel AG")
    assert imports.import_paths(first, "anna@muster.example", [maildir], workers=1).imported > 10
    assert imports.import_paths(second, "bob@beispiel.example", [replies], workers=1).imported > 5
    with Ingestor(second, workers=1).session() as ing:
        ing.ingest([Incoming(raw=extra(i), mailbox="buchhaltung@beispiel.example", folders=["Belege", "INBOX"],
                             source="smtp") for i in range(4)])
    # the same message in a second mailbox of the first customer: one message, two references
    again = Message.objects.filter(customer=first).order_by("seq").first()
    with Ingestor(first, workers=1).session() as ing:
        ing.ingest([Incoming(raw=runtime.store_for(first.id).get(again.vault_id), mailbox="chef@muster.example",
                             folders=["Archiv"], source="import")])
    before = state()
    found_before = searches(capsys, [first.id, second.id])
    assert found_before[(first.id, "*")][0] == Message.objects.filter(customer=first).count()

    # an empty database and no search index; the vault and the master key stay
    ids = [first.id, second.id]
    for cid in ids:
        index_admin.drop(runtime.search_index(), cid)
    call_command("flush", interactive=False, verbosity=0)
    runtime.reset()
    shutil.rmtree(runtime.settings().index_path, ignore_errors=True)
    assert Customer.objects.count() == 0 and Message.objects.count() == 0

    result = cli(capsys, "vault", "recover")
    assert sorted(result["customers_recreated"]) == sorted(ids) and result["customers_skipped"] == {}
    assert all(result["archive"][cid]["new_ids"] == 0 for cid in ids)

    after = state()
    assert after == before
    assert Customer.objects.get(id=first.id).legal_name == "Muster Gesellschaft mbH"
    assert searches(capsys, ids) == found_before


def test_recover_skips_messages_deleted_by_retention_and_names_unrecorded_customers(home, capsys):
    customer = factories.customer(factories.partner("Partner R"), "Kunde R")
    with Ingestor(customer, workers=1).session() as ing:
        result = ing.ingest([Incoming(raw=extra(i), mailbox="a@kunde.example", folders=["INBOX"], source="import")
                             for i in range(3)])
    gone = Message.objects.get(id=result.message_ids[1])
    store = runtime.store_for(customer.id)
    store.put(json.dumps([{"sha256": gone.sha256, "message_id": gone.id}]).encode(), kind="tombstones")
    store.commit()
    # a vault customer without a record (written before customers were recorded)
    old = runtime.vault().store("cu_legacy00000001")
    old.put(b"x", kind="mail")
    old.commit()
    call_command("flush", interactive=False, verbosity=0)
    runtime.reset()
    out = cli(capsys, "vault", "recover")
    assert out["customers_recreated"] == [customer.id]
    assert "no vault record" in out["customers_skipped"]["cu_legacy00000001"]
    assert out["archive"][customer.id]["deleted_by_retention"] == 1
    assert sorted(Message.objects.values_list("id", flat=True)) == sorted(
        [result.message_ids[0], result.message_ids[2]])


def test_recover_finds_a_storage_locations_own_vault_from_an_empty_database(home, capsys):
    own = home / "vault-fra"
    loc = locations.create("de-fra-2", "Frankfurt 2", "DE", vault_url=str(own))
    customer = customers.create(factories.partner("Partner L"), "Kunde L", location=loc)
    with Ingestor(customer, workers=1).session() as ing:
        result = ing.ingest([Incoming(raw=extra(i), mailbox="a@kunde.example", folders=["INBOX"], source="import")
                             for i in range(3)])
    assert (own / "customers" / customer.id / "meta").is_file()
    index_admin.drop(runtime.search_index(), customer.id)
    call_command("flush", interactive=False, verbosity=0)
    runtime.reset()
    out = cli(capsys, "vault", "recover")
    assert out["locations_recreated"] == ["de-fra-2"] and out["customers_recreated"] == [customer.id]
    back = Customer.objects.get(id=customer.id)
    assert back.location_id == "de-fra-2" and back.location.vault_url == str(own)
    assert sorted(Message.objects.values_list("id", flat=True)) == sorted(result.message_ids)
    found = cli(capsys, "search", "--customer", customer.id, "Rechnung")
    assert found["total"] == 3
