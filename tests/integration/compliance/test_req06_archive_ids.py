"""Requirement 6: every message has an immutable archive id and index fields (customer, envelope
sender and recipients, dates, Message-ID, hash); deduplication keeps the envelope data of every
recipient and every mailbox/folder reference.

The mails: tests/integration/archive_access/conftest.py (one journaled message arrived for alice
(INBOX) and bob (Vertraulich) with the envelope chef -> alice, bob, a BCC recipient)."""

from __future__ import annotations

from kustos.archive.models import Message, MessageRef
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import messages
from kustos.archive.services.ingest import Ingestor
from tests.integration.archive_access import conftest as access_world
from tests.integration.archive_access.conftest import ALICE, BOB, SECRET_BCC, World

world = access_world.world
_fast_password_hashing = access_world._fast_password_hashing
CAROL = "carol@kunde.example"
CORE = ("id", "customer_id", "seq", "sha256", "vault_id", "size", "message_id", "subject", "from_addr",
        "to_addrs", "date", "archived_at")


def _core(msg: Message) -> tuple:
    msg.refresh_from_db()
    return tuple(getattr(msg, f) for f in CORE)


def test_req06_dedup_keeps_every_envelope_and_reference_and_the_id_never_changes(world: World):
    shared = world.shared
    before = _core(shared)
    assert shared.id.startswith("ms_") and shared.seq > 0 and len(shared.sha256) == 64
    refs = {(r.mailbox.address, r.folder.path): (r.envelope_from, list(r.envelope_to), r.source)
            for r in MessageRef.objects.filter(message=shared).select_related("mailbox", "folder")}
    assert refs == {(ALICE, "INBOX"): ("chef@kunde.example", [ALICE, BOB, SECRET_BCC], "smtp"),
                    (BOB, "Vertraulich"): ("chef@kunde.example", [ALICE, BOB, SECRET_BCC], "smtp")}

    # the same bytes arrive a third time, for carol, with another envelope: no new message
    raw = messages.raw(shared)
    count = Message.objects.filter(customer=world.customer).count()
    with Ingestor(world.customer, workers=1).session() as ing:
        result = ing.ingest([Incoming(raw=raw, mailbox=CAROL, folders=["Archiv/2024"], source="imap:sr_x",
                                      envelope_from="relay@kunde.example", envelope_to=[CAROL])])
    assert result.imported == 0 and result.duplicates == 1
    assert Message.objects.filter(customer=world.customer).count() == count
    assert _core(shared) == before  # id, sequence, hash, dates and index fields unchanged
    refs = {(r.mailbox.address, r.folder.path): (r.envelope_from, list(r.envelope_to))
            for r in MessageRef.objects.filter(message=shared).select_related("mailbox", "folder")}
    assert refs == {(ALICE, "INBOX"): ("chef@kunde.example", [ALICE, BOB, SECRET_BCC]),
                    (BOB, "Vertraulich"): ("chef@kunde.example", [ALICE, BOB, SECRET_BCC]),
                    (CAROL, "Archiv/2024"): ("relay@kunde.example", [CAROL])}

    # the index knows the new reference under the same archive id
    api = world.client("admin")
    hits = api.get(f"/api/v1/customers/{world.customer.id}/archive/search", {"q": f"mailbox:{CAROL}"},
                   **world.api("admin")).json()["hits"]
    assert [h["id"] for h in hits] == [shared.id]
    # and the API shows every reference with its envelope, and the index fields
    meta = api.get(f"/api/v1/messages/{shared.id}", **world.api("admin")).json()
    assert meta["id"] == shared.id and meta["customer"] == world.customer.id and meta["sha256"] == shared.sha256
    assert meta["message_id"] == "<access99@supplier.example>" and meta["date"] and meta["archived_at"]
    assert meta["from"] == "lieferant99@supplier.example" and meta["to"] == [ALICE]
    assert {(r["mailbox"], r["folder"], r["envelope_from"], tuple(r["envelope_to"])) for r in meta["refs"]} == {
        (ALICE, "INBOX", "chef@kunde.example", (ALICE, BOB, SECRET_BCC)),
        (BOB, "Vertraulich", "chef@kunde.example", (ALICE, BOB, SECRET_BCC)),
        (CAROL, "Archiv/2024", "relay@kunde.example", (CAROL,))}


def test_req06_search_hits_carry_the_index_fields(world: World):
    two = world.by_i[2]
    hits = world.client("admin").get(f"/api/v1/customers/{world.customer.id}/archive/search",
                                     {"q": "subject:\"Beleg 2\""}, **world.api("admin")).json()["hits"]
    assert len(hits) == 1
    hit = hits[0]
    assert (hit["id"], hit["sha256"], hit["from"], hit["to"], hit["subject"]) == (
        two.id, two.sha256, two.from_addr, two.to_addrs, "Beleg 2")
    assert hit["date"] == two.date.isoformat() and hit["mailbox"] == ALICE and hit["folder"] == "INBOX"


def test_req06_no_write_path_changes_the_archive_id_or_index_fields(world: World, capsys):
    """Flagging, unflagging and reindexing leave the archive id and the core fields as they were."""
    four = world.by_i[4]
    before = _core(four)
    api, headers = world.client("admin"), world.api("admin")
    for on in (False, True):
        assert api.post(f"/api/v1/messages/{four.id}/tax-relevant", {"tax_relevant": on},
                        content_type="application/json", **headers).status_code == 200
    messages.reindex(four)
    assert _core(four) == before
    # ids are random (not sequential) and unique per message
    ids = list(Message.objects.filter(customer=world.customer).values_list("id", flat=True))
    assert len(set(ids)) == len(ids) and sorted(ids) != [m.id for m in Message.objects.order_by("seq")]
