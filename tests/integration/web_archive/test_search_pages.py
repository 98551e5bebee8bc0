"""Archive search page, folder tree and export through the dashboard (Django test client)."""

from __future__ import annotations

import hashlib
import io
import mailbox
import re
import zipfile
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.services import users
from kustos.archive.models import Message
from kustos.audit.models import AuditEvent
from kustos.web.views import archive as archive_views
from tests import factories
from tests.integration.web.session import sign_in
from tests.integration.web_archive.conftest import ALICE, BOB

pytestmark = pytest.mark.django_db


def _count(html: str) -> int:
    match = re.search(r'data-testid="archive-count">(\d+) message', html)
    assert match, "no result count on the page"
    return int(match.group(1))


@pytest.fixture
def admin(filled, client_for):
    return client_for(factories.user("admin@kunde.example", "customer_admin", customer=filled))


def test_customer_admin_searches_with_highlighted_snippets(filled, admin):
    resp = admin.get("/archive/search/", {"q": "angebot"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert _count(html) == 24
    assert "<mark>Angebot</mark>" in html
    assert html.count('data-testid="hit-link"') == 24
    # The single customer of a customer admin is chosen without asking.
    assert f'name="customer" value="{filled.id}"' in html
    assert AuditEvent.objects.filter(action="archive.search", customer_id=filled.id).exists()


def test_empty_query_lists_everything_and_empty_result_has_empty_state(filled, admin):
    assert _count(admin.get("/archive/search/").content.decode()) == 25
    html = admin.get("/archive/search/", {"q": "zzzunfindablezzz"}).content.decode()
    assert _count(html) == 0
    assert 'data-testid="archive-empty"' in html and "No messages match" in html


def test_filters_and_facets_narrow_the_result(filled, admin):
    html = admin.get("/archive/search/", {"q": "angebot"}).content.decode()
    assert f"{ALICE}/Projekte/2024" in html and f"{BOB}/INBOX" in html  # folder facet
    assert "supplier0.example" in html and ">2024<" in html  # domain + year facets
    assert _count(admin.get("/archive/search/", {"q": "angebot", "folder": f"{ALICE}/Projekte/2024"})
                  .content.decode()) == 6
    assert _count(admin.get("/archive/search/", {"q": "angebot", "attachment": "1"}).content.decode()) == 8
    assert _count(admin.get("/archive/search/", {"q": "angebot", "mailbox": BOB}).content.decode()) == 12
    assert _count(admin.get("/archive/search/", {"q": "angebot", "domain": "supplier1.example"})
                  .content.decode()) == 12
    # 2024-03-01 + 40 days * i: i = 0..7 fall into 2024.
    assert _count(admin.get("/archive/search/", {"q": "angebot", "from": "2024-01-01", "to": "2024-12-31"})
                  .content.decode()) == 8
    # The query language itself works in the box.
    assert _count(admin.get("/archive/search/", {"q": 'subject:"angebot 4" OR subject:"angebot 6"'})
                  .content.decode()) == 2
    assert _count(admin.get("/archive/search/", {"q": "angebot -from:supplier1.example"}).content.decode()) == 12


def test_htmx_request_gets_only_the_results_partial(filled, admin):
    resp = admin.get("/archive/search/", {"q": "angebot"}, HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert resp.status_code == 200 and "<html" not in html and _count(html) == 24
    assert "HX-Request" in resp["Vary"]


def test_paging_and_sort(filled, admin, monkeypatch):
    monkeypatch.setattr(archive_views, "PAGE_SIZE", 10)
    first = admin.get("/archive/search/", {"q": "angebot"}).content.decode()
    third = admin.get("/archive/search/", {"q": "angebot", "page": "3"}).content.decode()
    assert first.count('data-testid="hit-link"') == 10 and third.count('data-testid="hit-link"') == 4
    assert "Page 3 of 3" in third and "21–24 of 24" in third
    # Date sort: newest first (i = 23 is the newest message).
    assert re.search(r'hit-link">Angebot (\d+)', first).group(1) == "23"
    relevance = admin.get("/archive/search/", {"q": "angebot", "sort": "relevance"})
    assert relevance.status_code == 200


def test_bad_query_gives_a_clear_error(filled, admin):
    resp = admin.get("/archive/search/", {"q": 'subject:"unclosed'})
    html = resp.content.decode()
    assert resp.status_code == 400
    assert 'data-testid="archive-error"' in html and "The search could not be read." in html
    assert "at character 8" in html  # where the unclosed quote starts in the text the user typed
    bad_date = admin.get("/archive/search/", {"q": "date:2024-13-45"})
    assert bad_date.status_code == 400 and "date" in bad_date.content.decode()


def test_end_user_sees_only_own_mailbox(filled):
    alice = factories.user(ALICE, "end_user", customer=filled, mailboxes=[ALICE])
    client = sign_in(Client(), alice)
    html = client.get("/archive/search/", {"q": "angebot"}).content.decode()
    assert _count(html) == 12
    assert BOB not in html
    # Asking for bob's mailbox explicitly gives nothing rather than bob's mail.
    assert _count(client.get("/archive/search/", {"q": "angebot", "mailbox": BOB}).content.decode()) == 0
    bobs = Message.objects.filter(customer=filled, refs__mailbox__address=BOB).first()
    assert client.get(f"/archive/messages/{bobs.id}/").status_code == 404
    assert client.get(f"/archive/messages/{bobs.id}/raw/").status_code == 404


def test_foreign_customer_is_not_found_and_operator_is_refused(filled):
    other = factories.customer(factories.partner("Fremd Partner"), "Fremd Kunde")
    foreign_admin = factories.user("admin@fremd.example", "customer_admin", customer=other)
    client = sign_in(Client(), foreign_admin)
    assert client.get("/archive/search/", {"customer": filled.id}).status_code == 404
    msg = Message.objects.filter(customer=filled).first()
    assert client.get(f"/archive/messages/{msg.id}/").status_code == 404
    assert client.get(f"/archive/customers/{filled.id}/folders/").status_code == 404
    operator = factories.user("op@install.example", "operator", totp=True)
    assert sign_in(Client(), operator).get("/archive/search/").status_code == 403


def test_partner_admin_chooses_among_customers(filled):
    admin = factories.user("pa@partner.example", "partner_admin", partner=filled.partner, totp=True)
    factories.customer(filled.partner, "Zweiter Kunde")
    client = sign_in(Client(), admin)
    html = client.get("/archive/search/").content.decode()
    assert "Choose a customer to search its archive" in html and "Zweiter Kunde" in html
    assert _count(client.get("/archive/search/", {"customer": filled.id, "q": "angebot"}).content.decode()) == 24


def test_folder_tree_counts_and_links(filled, admin):
    html = admin.get(f"/archive/customers/{filled.id}/folders/").content.decode()
    assert ALICE in html and BOB in html
    assert re.search(r"<span>2024</span></a>\s*<span class=\"count\">6</span>", html)
    # "Projekte" holds no message itself but appears as the parent of Projekte/2024, before it.
    assert re.search(r'archive-folder-parent" title="Projekte">.*?<span>Projekte</span>', html)
    assert html.index('title="Projekte"') < html.index('title="Projekte/2024"')
    assert "folder%3A%22alice%40kunde.example%2FProjekte%2F2024%22" in html
    alice = factories.user(ALICE, "end_user", customer=filled, mailboxes=[ALICE])
    own = sign_in(Client(), alice).get(f"/archive/customers/{filled.id}/folders/").content.decode()
    assert ALICE in own and BOB not in own


def test_export_selection_and_all_results(filled, admin):
    ids = list(Message.objects.filter(customer=filled, subject__in=["Angebot 2 Müller", "Angebot 5 Müller"])
               .values_list("id", flat=True))
    resp = admin.post("/archive/export/", {"customer": filled.id, "q": "angebot", "ids": ids, "scope": "selected",
                                           "format": "eml-zip"})
    assert resp.status_code == 200 and resp["X-Export-Count"] == "2"
    data = b"".join(resp.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert sorted(n.split("-", 1)[1] for n in names) == sorted(f"{i}.eml" for i in ids)
        for name in names:
            msg = Message.objects.get(id=name.split("-", 1)[1][:-4])
            assert hashlib.sha256(zf.read(name)).hexdigest() == msg.sha256
    resp = admin.post("/archive/export/", {"customer": filled.id, "q": "angebot", "folder": f"{BOB}/INBOX",
                                           "scope": "all", "format": "mbox"})
    assert resp.status_code == 200 and resp["X-Export-Count"] == "12"
    data = b"".join(resp.streaming_content)
    assert data.count(b"\nFrom ") + data.startswith(b"From ") == 12
    assert AuditEvent.objects.filter(action="archive.export", customer_id=filled.id).count() == 2


def test_end_user_export_all_contains_only_own_mail(filled, tmp_path):
    alice = factories.user(ALICE, "end_user", customer=filled, mailboxes=[ALICE])
    client = sign_in(Client(), alice)
    bobs = list(Message.objects.filter(customer=filled, refs__mailbox__address=BOB).values_list("id", flat=True))
    resp = client.post("/archive/export/", {"customer": filled.id, "scope": "selected", "ids": bobs[:3],
                                            "format": "mbox"})
    # bob's messages are not selectable for alice: nothing to export, back to the search.
    assert resp.status_code == 302 and resp["Location"].startswith("/archive/search/?customer=")
    resp = client.post("/archive/export/", {"customer": filled.id, "q": "", "scope": "all", "format": "mbox"})
    assert resp.status_code == 200 and resp["X-Export-Count"] == "13"
    path = tmp_path / "alice.mbox"
    path.write_bytes(b"".join(resp.streaming_content))
    box = mailbox.mbox(str(path))
    assert len(box) == 13 and all(ALICE in (m["To"] or "") for m in box)


def test_export_needs_csrf(filled):
    admin = factories.user("admin2@kunde.example", "customer_admin", customer=filled)
    client = sign_in(Client(enforce_csrf_checks=True), admin)
    resp = client.post("/archive/export/", {"customer": filled.id, "scope": "all", "format": "mbox"})
    assert resp.status_code == 403


def test_pages_in_german(filled, admin, settings):
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    html = admin.get("/archive/search/", {"q": "angebot"}).content.decode()
    assert "Filter und Suchsprache" in html and "24 Nachrichten" in html and "Absenderdomain" in html
    msg = Message.objects.get(customer=filled, subject="Hostile newsletter")
    html = admin.get(f"/archive/messages/{msg.id}/").content.decode()
    assert "Original herunterladen (.eml)" in html and "Externe Inhalte laden" in html
    html = admin.get(f"/customers/{filled.id}/journal/").content.decode()
    assert "Journaling-Adresse dieses Kunden" in html


def test_auditor_reads_only_inside_the_granted_period(filled):
    auditor = factories.user("pruefer@finanzamt.example", "auditor")
    users.grant(auditor, filled, expires_at=timezone.now() + timedelta(days=5), date_from=date(2024, 1, 1),
                date_to=date(2024, 12, 31), tax_relevant_only=False)
    client = sign_in(Client(), auditor)
    html = client.get("/archive/search/", {"q": "angebot"}).content.decode()
    assert _count(html) == 8  # i = 0..7 fall into 2024
    outside = Message.objects.get(customer=filled, subject="Angebot 20 Müller")
    assert client.get(f"/archive/messages/{outside.id}/").status_code == 404
    inside = Message.objects.get(customer=filled, subject="Angebot 2 Müller")
    assert client.get(f"/archive/messages/{inside.id}/").status_code == 200
    # The folder tree shows the structure but no counts the auditor could not verify.
    tree = client.get(f"/archive/customers/{filled.id}/folders/").content.decode()
    assert "Projekte" in tree and 'class="count"' not in tree
