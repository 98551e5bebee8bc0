"""Source management and journaling pages through the dashboard."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client

from kustos.archive.models import Source
from kustos.archive.services import journal
from kustos.core.secrets import open_secret
from kustos.jobs.models import Job
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

IMAP = {"kind": "imap", "name": "Empfang", "host": "127.0.0.1", "port": "9", "security": "none",
        "username": "empfang@kunde.example", "password": "geheim-123", "interval_minutes": "15",
        "include": "INBOX\nProjekte", "exclude": "Junk, Trash"}


@pytest.fixture
def admin(archive_customer):
    user = factories.user("admin@kunde.example", "customer_admin", customer=archive_customer)
    return sign_in(Client(), user)


def _messages(resp) -> str:
    return " ".join(str(m) for m in resp.context["messages"]) if resp.context else ""


def test_add_imap_source_then_list_shows_it(archive_customer, admin):
    base = f"/customers/{archive_customer.id}/sources/"
    assert "No archive sources yet" in admin.get(base).content.decode()
    assert admin.get(base + "new/?kind=imap").status_code == 200
    resp = admin.post(base + "new/", IMAP)
    assert resp.status_code == 302 and resp["Location"] == base
    source = Source.objects.get(customer=archive_customer)
    assert source.kind == "imap" and source.name == "Empfang"
    assert source.config["include"] == ["INBOX", "Projekte"] and source.config["exclude"] == ["Junk", "Trash"]
    assert source.config["mailbox"] == "empfang@kunde.example"
    assert "geheim-123" not in json.dumps(source.config) and open_secret(source.secret, source.id) == "geheim-123"
    html = admin.get(base).content.decode()
    assert "Empfang" in html and 'data-testid="source-status">pending' in html
    assert "geheim-123" not in html


def test_invalid_source_form_shows_errors(archive_customer, admin):
    resp = admin.post(f"/customers/{archive_customer.id}/sources/new/", {**IMAP, "host": "", "port": "70000"})
    assert resp.status_code == 400 and Source.objects.count() == 0
    assert "This field is required" in resp.content.decode()


def test_edit_keeps_secret_when_left_empty_and_changes_it_when_given(archive_customer, admin):
    admin.post(f"/customers/{archive_customer.id}/sources/new/", IMAP)
    source = Source.objects.get()
    url = f"/customers/{archive_customer.id}/sources/{source.id}/edit/"
    html = admin.get(url).content.decode()
    assert 'value="127.0.0.1"' in html and "geheim-123" not in html
    assert admin.post(url, {**IMAP, "password": "", "interval_minutes": "60"}).status_code == 302
    source.refresh_from_db()
    assert source.config["host"] == "127.0.0.1" and source.interval_minutes == 60
    assert open_secret(source.secret, source.id) == "geheim-123"
    admin.post(url, {**IMAP, "password": "neu-456"})
    source.refresh_from_db()
    assert open_secret(source.secret, source.id) == "neu-456"


def test_test_connection_shows_clear_error_pause_run_remove(archive_customer, admin):
    admin.post(f"/customers/{archive_customer.id}/sources/new/", IMAP)
    source = Source.objects.get()
    base = f"/customers/{archive_customer.id}/sources/{source.id}"
    resp = admin.post(base + "/test/", follow=True)
    text = _messages(resp)
    assert "failed" in text and re.search(r"refused|connect", text, re.I), text
    resp = admin.post(base + "/pause/", follow=True)
    source.refresh_from_db()
    assert source.paused and 'data-testid="source-status">paused' in resp.content.decode()
    admin.post(base + "/pause/")
    source.refresh_from_db()
    assert not source.paused
    resp = admin.post(base + "/run/")
    job = Job.objects.get(kind="source.run", customer_id=archive_customer.id)
    assert resp["Location"] == f"/jobs/{job.id}/" and job.params["source"] == source.id
    assert "Remove source" in admin.get(base + "/remove/").content.decode()
    assert admin.post(base + "/remove/").status_code == 302
    assert not Source.objects.filter(id=source.id).exists()


def test_graph_and_gmail_sources(archive_customer, admin):
    base = f"/customers/{archive_customer.id}/sources/new/"
    resp = admin.post(base, {"kind": "graph", "tenant_id": "tenant-1", "client_id": "client-1",
                             "client_secret": "s3cret", "interval_minutes": "15"})
    assert resp.status_code == 302
    graph = Source.objects.get(kind="graph")
    assert graph.config == {"tenant_id": "tenant-1", "client_id": "client-1", "cleanup_folders": []}  # rule off
    key = json.dumps({"type": "service_account", "client_email": "sa@proj.iam.gserviceaccount.com",
                      "private_key": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n"}).encode()
    resp = admin.post(base, {"kind": "gmail", "admin_email": "Admin@Kunde.example", "interval_minutes": "15",
                             "service_account": SimpleUploadedFile("key.json", key, "application/json")})
    assert resp.status_code == 302
    gmail = Source.objects.get(kind="gmail")
    assert gmail.config == {"admin_email": "admin@kunde.example", "cleanup_folders": []}
    assert json.loads(open_secret(gmail.secret, gmail.id))["client_email"] == "sa@proj.iam.gserviceaccount.com"
    bad = admin.post(base, {"kind": "gmail", "admin_email": "a@b.example", "interval_minutes": "15",
                            "service_account": SimpleUploadedFile("key.json", b"{not json", "application/json")})
    assert bad.status_code == 400 and "not valid JSON" in bad.content.decode()


def test_graph_form_preselects_the_online_archive_folder_in_the_ui_language(archive_customer, admin):
    url = f"/customers/{archive_customer.id}/sources/new/?kind=graph"
    selected = re.compile(r'<option value="([^"]+)"[^>]*selected')

    def chosen(client, page: str = url) -> str:
        html = client.get(page).content.decode()
        select = html[html.index('name="archive_folder"'):]
        return selected.search(select[:select.index("</select>")]).group(1)

    assert chosen(admin) == "Online Archive"
    older = Source.objects.create(customer=archive_customer, kind="graph", name="Vorher",
                                  config={"tenant_id": "t-old", "client_id": "c-old"})
    admin.cookies["django_language"] = "de"
    assert chosen(admin) == "Online-Archiv"
    # a source stored without the setting files under "Online Archive": its edit form says so in German too
    assert chosen(admin, f"/customers/{archive_customer.id}/sources/{older.id}/edit/") == "Online Archive"
    older.delete()
    resp = admin.post(f"/customers/{archive_customer.id}/sources/new/",
                      {"kind": "graph", "tenant_id": "tenant-de", "client_id": "client-de", "client_secret": "s3cret",
                       "interval_minutes": "15", "archive_folder": "Online-Archiv"})
    assert resp.status_code == 302
    assert Source.objects.get(kind="graph").config["archive_folder"] == "Online-Archiv"


def test_bulk_csv_adds_all_or_nothing(archive_customer, admin):
    url = f"/customers/{archive_customer.id}/sources/bulk/"
    bad = admin.post(url, {"csv_text": "imap.example.com,993,tls,anna@kunde.example,pw1,\n"
                                       "imap.example.com,abc,tls,ben@kunde.example,pw2,\n"})
    html = bad.content.decode()
    assert bad.status_code == 400 and "Line 2:" in html and "is not a number" in html
    assert Source.objects.count() == 0
    csv_file = SimpleUploadedFile("boxes.csv", b"host,port,security,username,password,mailbox\n"
                                  b"imap.example.com,993,tls,anna@kunde.example,pw1,\n"
                                  b"pop.example.com,,tls,ben,pw2,ben@kunde.example\n", "text/csv")
    resp = admin.post(url, {"csv_file": csv_file})
    assert resp.status_code == 302
    assert sorted(Source.objects.values_list("config__mailbox", flat=True)) == ["anna@kunde.example",
                                                                                 "ben@kunde.example"]


def test_failing_source_raises_banner_on_customer_and_sources_page(archive_customer, admin):
    admin.post(f"/customers/{archive_customer.id}/sources/new/", IMAP)
    Source.objects.update(consecutive_failures=3, last_error="authentication failed: wrong password")
    for url in (f"/customers/{archive_customer.id}/", f"/customers/{archive_customer.id}/sources/"):
        html = admin.get(url).content.decode()
        assert 'data-testid="source-alert"' in html and "is failing" in html and "wrong password" in html
    assert 'data-testid="source-status">failing' in admin.get(
        f"/customers/{archive_customer.id}/sources/").content.decode()


def test_journal_page_shows_address_and_instructions(archive_customer, admin):
    html = admin.get(f"/customers/{archive_customer.id}/journal/").content.decode()
    address = journal.address(archive_customer)
    assert f'data-testid="journal-address">{address}<' in html
    for text in ("Exchange Online", "New-JournalRule", "New-SendConnector", "always_bcc = " + address,
                 "recipient_bcc_maps", "MDaemon", "IceWarp", "Kerio Connect", "Archive to the remote email address"):
        assert text in html, text


def test_roles_without_source_rights(archive_customer):
    base = f"/customers/{archive_customer.id}"
    auditor = factories.user("pruefer@finanzamt.example", "auditor", customer=archive_customer)
    end_user = factories.user("anna@kunde.example", "end_user", customer=archive_customer,
                              mailboxes=["anna@kunde.example"])
    for user in (auditor, end_user):
        client = sign_in(Client(), user)
        for path in ("/sources/", "/sources/new/", "/journal/", "/import/"):
            assert client.get(base + path).status_code == 403, (user.role, path)
    other = factories.customer(factories.partner("Fremd"), "Fremd Kunde")
    foreign = sign_in(Client(), factories.user("admin@fremd.example", "customer_admin", customer=other))
    assert foreign.get(base + "/sources/").status_code == 404
    assert foreign.get(base + "/import/").status_code == 404


def test_source_alerts_tag_for_the_overview(archive_customer, admin, rf):
    admin.post(f"/customers/{archive_customer.id}/sources/new/", IMAP)
    Source.objects.update(consecutive_failures=4, last_error="TLS handshake failed")
    request = rf.get("/")
    request.user = factories.user("pa@partner.example", "partner_admin", partner=archive_customer.partner)
    html = Template("{% load kustos_archive %}{% source_alerts %}").render(Context({"request": request}))
    assert "Empfang" in html and "TLS handshake failed" in html and f"/customers/{archive_customer.id}/sources/" in html
    request.user = factories.user("anna@kunde.example", "end_user", customer=archive_customer)
    assert "source-alert" not in Template("{% load kustos_archive %}{% source_alerts %}").render(
        Context({"request": request}))
