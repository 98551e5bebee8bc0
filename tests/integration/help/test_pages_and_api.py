"""Help in the dashboard and the API: the article list by topic, search, articles in the user's
language, the context links on the pages the articles explain, any signed-in user may read."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import get_template
from django.test import Client

from kustos.accounts.services import tokens
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    p = factories.partner("Help Partner")
    c = factories.customer(p, "Help Kunde GmbH")
    return {"partner_admin": factories.user("admin@help.example", "partner_admin", partner=p, totp=True),
            "end_user": factories.user("anna@help-kunde.example", "end_user", customer=c),
            "auditor": factories.user("pruefer@fa.example", "auditor", customer=c), "customer": c}


def _client(user, lang: str = "en") -> Client:
    client = sign_in(Client(), user)
    client.cookies["django_language"] = lang
    return client


def test_help_index_groups_articles_by_topic_in_english(world):
    r = _client(world["end_user"]).get("/help/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Connect mail" in html and "Customers and billing" in html
    assert 'href="/help/journaling-exchange-online/"' in html and "Set up journaling in Exchange Online" in html
    assert html.count('data-testid="help-topic"') == 5


def test_help_index_in_german_shows_german_titles(world):
    html = _client(world["end_user"], "de").get("/help/").content.decode()
    assert "Journaling in Exchange Online einrichten" in html and "E-Mail anbinden" in html
    assert "Set up journaling in Exchange Online" not in html
    assert 'placeholder="Hilfe durchsuchen, z. B. Journaling oder Wiederherstellung"' in html
    assert "Kein Artikel passt" in _client(world["end_user"], "de").get("/help/", {"q": "xylophon"}).content.decode()


def test_help_search_in_the_page(world):
    html = _client(world["auditor"], "de").get("/help/", {"q": "Betriebsprüfer"}).content.decode()
    results = html.split('data-testid="help-results"')[1].split("</section>")[0]
    assert "Daten an einen Betriebsprüfer übergeben" in results and "Microsoft 365 anbinden" not in results
    html = _client(world["auditor"]).get("/help/", {"q": "xylophone"}).content.decode()
    assert "No article matches" in html


def test_article_page_in_the_users_language(world):
    en = _client(world["partner_admin"]).get("/help/restore-backup/")
    assert en.status_code == 200
    assert "<h1>Restore a mailbox or items from a backup</h1>" in en.content.decode()
    assert '<pre class="archive-pre"><code>kustos backup snapshots --source src_example\n' in en.content.decode()
    de = _client(world["partner_admin"], "de").get("/help/restore-backup/").content.decode()
    assert "Postfach oder Elemente aus einer Sicherung wiederherstellen" in de and 'lang="de"' in de
    assert _client(world["partner_admin"]).get("/help/no-such-article/").status_code == 404
    assert _client(world["end_user"]).get("/help/getting-started/").status_code == 200


def test_help_needs_sign_in():
    assert Client().get("/help/search-archive/").status_code == 302
    assert Client().get("/api/v1/help/articles").status_code == 401


def _api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {tokens.create(user, 'help')[1]}"})


def test_api_lists_searches_and_reads_articles(world):
    api = _api(world["end_user"])
    every = api.get("/api/v1/help/articles", {"lang": "en"}).json()
    assert len(every) >= 10 and {"slug", "title", "topic", "topic_name", "summary", "lang"} <= set(every[0])
    hits = api.get("/api/v1/help/articles", {"q": "Journalregel", "lang": "de"}).json()
    assert hits[0]["slug"] == "journaling-exchange-online" and hits[0]["lang"] == "de"
    assert api.get("/api/v1/help/articles", {"q": "journal rule", "lang": "en"}).json()[0]["title"] == \
        "Set up journaling in Exchange Online"
    one = api.get("/api/v1/help/articles/cancel-customer", {"lang": "de"})
    assert one.status_code == 200
    body = one.json()
    assert body["title"] == "Einen Kunden kündigen" and "kustos customer delete" in body["markdown"]
    assert "<code>" in body["html"] and "<script" not in body["html"]
    missing = api.get("/api/v1/help/articles/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    bad = api.get("/api/v1/help/articles", {"lang": "fr"})
    assert bad.status_code == 422 and bad.json()["detail"] == "unsupported language 'fr': use en or de"
    assert api.get("/api/v1/help/articles/cancel-customer", {"lang": "xx"}).status_code == 422
    # Without lang: the caller's language (Accept-Language here).
    assert api.get("/api/v1/help/articles/cancel-customer", HTTP_ACCEPT_LANGUAGE="de").json()["lang"] == "de"


CONTEXT_LINKS = {  # page -> the article its "Help" link opens
    "/customers/{c}/sources/": "connect-microsoft-365", "/customers/{c}/sources/new/?kind=imap": "connect-imap-pop3",
    "/customers/{c}/journal/": "journaling-exchange-online", "/customers/{c}/import/": "import-pst-mbox",
    "/archive/search/?customer={c}": "search-archive", "/customers/{c}/retention/": "retention-and-holds",
    "/customers/{c}/holds/": "retention-and-holds", "/customers/{c}/gdpr/": "gdpr-requests",
    "/customers/{c}/delete/": "cancel-customer", "/customers/{c}/reconcile/": "journaling-exchange-online",
    "/users/{u}/": "tax-auditor",
}


@pytest.mark.parametrize(("page", "slug"), CONTEXT_LINKS.items())
def test_pages_link_to_the_article_that_explains_them(world, page, slug):
    url = page.format(c=world["customer"].id, u=world["auditor"].id)
    r = _client(world["partner_admin"]).get(url)
    assert r.status_code == 200, url
    assert f'href="/help/{slug}/" data-testid="help-link"' in r.content.decode()
    de = _client(world["partner_admin"], "de").get(url).content.decode()
    assert f'href="/help/{slug}/" data-testid="help-link"' in de and ">Hilfe</a>" in de


LINKED_TEMPLATES = {
    "kustos/sources/list.html": "connect-microsoft-365", "kustos/sources/form.html": "connect-imap-pop3",
    "kustos/sources/journal.html": "journaling-exchange-online", "kustos/archive/import.html": "import-pst-mbox",
    "kustos/archive/search.html": "search-archive", "kustos/backup/browse.html": "restore-backup",
    "kustos/users/detail.html": "tax-auditor", "kustos/retention/page.html": "retention-and-holds",
    "kustos/holds/list.html": "retention-and-holds", "kustos/gdpr/list.html": "gdpr-requests",
    "kustos/customers/delete.html": "cancel-customer", "kustos/archive/reconcile.html": "journaling-exchange-online",
}


@pytest.mark.parametrize(("name", "slug"), LINKED_TEMPLATES.items())
def test_every_explained_page_template_carries_its_help_link(name, slug):
    template = get_template(name)  # compiles: the tag library loads
    assert f'{{% help_link "{slug}" %}}' in template.template.source


def test_the_help_link_tag_refuses_an_unknown_article():
    assert 'href="/help/gdpr-requests/"' in Template('{% load kustos_help %}{% help_link "gdpr-requests" %}').render(
        Context({}))
    with pytest.raises(TemplateSyntaxError, match="no help article 'nope'"):
        Template('{% load kustos_help %}{% help_link "nope" %}').render(Context({}))


def test_the_help_package_imports_no_django():
    code = ("import sys, kustos.help.service as s; s.find('journal', 'de'); s.article('restore-backup', 'en').html; "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
