"""Quarantined input made visible: the service, the API routes and the dashboard page.

An import keeps unreadable input with its reason, mailbox and folder; the API and the page list
it, the kept bytes come back byte-exact, and a retry either archives the bytes (resolved) or
keeps the item with the new reason.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kustos.accounts.services import tokens
from kustos.archive.models import Message, Quarantine
from kustos.archive.services import imports, quarantine
from kustos.audit.models import AuditEvent
from kustos.core import runtime
from tests import factories
from tests.integration.web_archive.conftest import ALICE

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"not mail at all" * 4
GOOD = (b"From: supplier@example.org\r\nTo: alice@kunde.example\r\nSubject: Retried invoice\r\n"
        b"Message-ID: <retry-1@example.org>\r\nDate: Mon, 3 Mar 2025 09:00:00 +0100\r\n\r\nInvoice 42\r\n")


def _import_bad(customer, tmp_path: Path) -> Quarantine:
    folder = tmp_path / "in" / "Archiv" / "2023"
    folder.mkdir(parents=True)
    (folder / "scan.msg").write_bytes(PNG)
    result = imports.import_paths(customer, ALICE, [tmp_path / "in"], actor="test", workers=1)
    assert result.quarantined == 1 and result.imported == 0
    return Quarantine.objects.get(customer=customer)


def _older_quarantine(customer) -> Quarantine:
    """Readable mail that an older version could not archive (as after a parser fix)."""
    return quarantine.keep(runtime.vault().store(customer.id), customer, source="import",
                           source_ref="/srv/old/invoice.eml", reason="parser error in an older version",
                           data=GOOD, mailbox=ALICE, folder="Rechnungen")


def _api(user):
    _, secret = tokens.create(user, "t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_import_keeps_bytes_reason_mailbox_and_folder(archive_customer, tmp_path):
    item = _import_bad(archive_customer, tmp_path)
    assert item.reason.startswith("not an Outlook MSG file") and item.size == len(PNG)
    assert (item.mailbox, item.folder, item.source) == (ALICE, "Archiv/2023", "import")
    assert quarantine.raw(item, actor="test") == PNG
    # importing the same bad file again does not list it twice
    imports.import_paths(archive_customer, ALICE, [tmp_path / "in"], actor="test", workers=1)
    assert Quarantine.objects.filter(customer=archive_customer).count() == 1


def test_api_list_show_raw_and_failed_retry(archive_customer, tmp_path, client):
    item = _import_bad(archive_customer, tmp_path)
    auth = _api(factories.user("tech@p.example", "partner_tech", partner=archive_customer.partner))
    base = f"/api/v1/customers/{archive_customer.id}/quarantine"
    listed = client.get(base, **auth)
    assert listed.status_code == 200
    assert [(r["id"], r["source_ref"], r["size"]) for r in listed.json()] == [(item.id, item.source_ref, len(PNG))]
    shown = client.get(f"{base}/{item.id}", **auth).json()
    assert shown["reason"] == item.reason and shown["mailbox"] == ALICE and shown["resolved_at"] is None
    raw = client.get(f"{base}/{item.id}/raw", **auth)
    assert raw.status_code == 200 and raw.content == PNG
    assert raw["Content-Disposition"] == 'attachment; filename="scan.msg"'
    assert AuditEvent.objects.filter(action="archive.quarantine_raw", target=item.id).count() == 1

    Quarantine.objects.filter(id=item.id).update(reason="an old reason")
    retried = client.post(f"{base}/{item.id}/retry", {}, content_type="application/json", **auth)
    assert retried.status_code == 200
    body = retried.json()
    assert body["resolved"] is False and body["reason"].startswith("not an Outlook MSG file")
    item.refresh_from_db()
    assert item.resolved_at is None and item.reason.startswith("not an Outlook MSG file")
    assert Message.objects.filter(customer=archive_customer).count() == 0


def test_api_retry_archives_the_kept_bytes(archive_customer, client):
    item = _older_quarantine(archive_customer)
    auth = _api(factories.user("admin@kunde.example", "customer_admin", customer=archive_customer))
    resp = client.post(f"/api/v1/customers/{archive_customer.id}/quarantine/{item.id}/retry", {},
                       content_type="application/json", **auth)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    msg = Message.objects.get(customer=archive_customer)
    assert body["resolved"] is True and body["message"] == msg.id and body["imported"] == 1
    assert msg.sha256 == hashlib.sha256(GOOD).hexdigest() and msg.subject == "Retried invoice"
    assert list(msg.refs.values_list("mailbox__address", "folder__path")) == [(ALICE, "Rechnungen")]
    item.refresh_from_db()
    assert item.resolved_at is not None and item.resolved_message == msg.id
    # resolved items leave the open list; ?resolved=true shows them
    base = f"/api/v1/customers/{archive_customer.id}/quarantine"
    assert client.get(base, **auth).json() == []
    assert [r["resolved_message"] for r in client.get(f"{base}?resolved=true", **auth).json()] == [msg.id]
    again = client.post(f"{base}/{item.id}/retry", {}, content_type="application/json", **auth)
    assert again.status_code == 422 and "already resolved" in again.json()["detail"]


def test_retry_without_mailbox_is_refused_until_one_is_given(archive_customer):
    item = quarantine.keep(runtime.vault().store(archive_customer.id), archive_customer, source="import",
                           source_ref="/srv/old/x.eml", reason="old", data=GOOD)
    results = quarantine.retry_all([archive_customer], actor="test")
    assert [(r.resolved, r.error) for r in results] == [
        (False, f"quarantine item {item.id} has no mailbox recorded: give the mailbox to file it under")]
    done = quarantine.retry(item, actor="test", mailbox="Bob@Kunde.example")
    assert done.resolved and Message.objects.get(id=done.item.resolved_message).refs.get().mailbox.address == \
        "bob@kunde.example"


def test_dashboard_page_lists_items_and_offers_download_and_retry_to_importers(archive_customer, tmp_path,
                                                                                client_for):
    bad = _import_bad(archive_customer, tmp_path)
    good = _older_quarantine(archive_customer)
    tech = client_for(factories.user("tech@p.example", "partner_tech", partner=archive_customer.partner, totp=True))
    page = tech.get(f"/customers/{archive_customer.id}/quarantine/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="quarantine-row"') == 2
    assert bad.reason in html and "/srv/old/invoice.eml" in html and "Archiv/2023" in html
    assert f'/customers/{archive_customer.id}/quarantine/{bad.id}/raw/' in html
    assert f'/customers/{archive_customer.id}/quarantine/{good.id}/retry/' in html
    assert tech.get(f"/customers/{archive_customer.id}/quarantine/{bad.id}/raw/").content == PNG

    resp = tech.post(f"/customers/{archive_customer.id}/quarantine/{good.id}/retry/")
    assert resp.status_code == 302 and resp["Location"] == f"/customers/{archive_customer.id}/quarantine/"
    good.refresh_from_db()
    assert good.resolved_message == Message.objects.get(customer=archive_customer).id
    after = tech.get(f"/customers/{archive_customer.id}/quarantine/").content.decode()
    assert after.count('data-testid="quarantine-row"') == 1 and "Archived: the item is resolved." in after

    # the operator may look at the list but gets neither the bytes nor the retry button
    operator = client_for(factories.user("op@install.example", "operator", totp=True))
    seen = operator.get(f"/customers/{archive_customer.id}/quarantine/").content.decode()
    assert bad.reason in seen and "/raw/" not in seen and "/retry/" not in seen
    assert operator.get(f"/customers/{archive_customer.id}/quarantine/{bad.id}/raw/").status_code == 403
