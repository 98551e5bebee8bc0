"""The search page and API show the total, the time the search took and the facets (mailbox, folder,
year, with attachments, sender domain) as refinements; the default order is "best"."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from kustos.accounts.services import tokens
from tests import factories
from tests.integration.web_archive.conftest import ALICE, BOB

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(filled):
    return factories.user("admin@kunde.example", "customer_admin", customer=filled)


def _count(html: str) -> int:
    match = re.search(r'data-testid="archive-count">(\d+) message', html)
    assert match, "no result count on the page"
    return int(match.group(1))


def _facet_links(html: str, key: str) -> dict[str, tuple[str, int]]:
    """label -> (link, count) of the facet box ``key``."""
    box = re.search(rf'data-testid="facet-{key}">(.*?)</ul>', html, re.S)
    assert box, f"no {key} facet on the page"
    links = re.findall(r'<a href="([^"]+)"[^>]*title="([^"]*)"><span>[^<]*</span><span class="count">(\d+)</span>',
                       box.group(1))
    return {title: (html_lib.unescape(href), int(n)) for href, title, n in links}


def test_page_shows_count_time_and_clickable_facets(filled, admin_user, client_for):
    admin = client_for(admin_user)
    html = admin.get("/archive/search/", {"q": "angebot"}).content.decode()
    assert _count(html) == 24
    took = re.search(r'data-testid="archive-took">in (\d+) ms<', html)
    assert took and int(took.group(1)) < 10_000
    assert 'value="best" selected' in html  # the default order
    mailboxes = _facet_links(html, "mailbox")
    assert {k: n for k, (_, n) in mailboxes.items()} == {ALICE: 12, BOB: 12}
    attachment = _facet_links(html, "attachment")
    assert [n for _, n in attachment.values()] == [8]
    assert {k: n for k, (_, n) in _facet_links(html, "domain").items()} == {
        "supplier0.example": 12, "supplier1.example": 12}
    assert sum(n for _, n in _facet_links(html, "year").values()) == 24
    # a click adds the filter to the search
    link, _ = mailboxes[BOB]
    assert "q=angebot" in link and "mailbox=bob%40kunde.example" in link
    narrowed = admin.get("/archive/search/" + link).content.decode()
    assert _count(narrowed) == 12
    assert set(_facet_links(narrowed, "mailbox")) == {BOB}
    [(link, _)] = attachment.values()
    assert "attachment=1" in link
    with_attachments = admin.get("/archive/search/" + link).content.decode()
    assert _count(with_attachments) == 8
    # both refinements: alice's offers with attachments (i = 0, 6, 12, 18)
    both = admin.get("/archive/search/" + link + "&mailbox=" + ALICE).content.decode()
    assert _count(both) == 4


def test_page_in_german(filled, admin_user, client_for):
    admin = client_for(admin_user)
    admin.cookies.load({"django_language": "de"})
    html = admin.get("/archive/search/", {"q": "angebot"}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Beste Treffer (Relevanz und Aktualität)" in html
    assert re.search(r'data-testid="archive-took">in \d+ ms<', html)
    box = re.search(r'data-testid="facet-attachment"><h3>([^<]+)</h3>', html)
    assert box and box.group(1) == "Anhänge"
    assert re.search(r'data-testid="facet-mailbox"><h3>Postfach</h3>', html)


def test_api_search_carries_count_time_and_facets(filled, admin_user, client_for):
    client = client_for(admin_user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(admin_user, 't')[1]}"}
    url = f"/api/v1/customers/{filled.id}/archive/search"
    body = client.get(url, {"q": "angebot", "facets": "true", "limit": "5"}, **auth).json()
    assert body["total"] == 24 and len(body["hits"]) == 5 and body["took_ms"] >= 0
    facets = body["facets"]
    assert facets["mailbox"] == {ALICE: 12, BOB: 12}
    assert facets["has_attachment"] == {"with": 8, "without": 16}
    assert facets["sender_domain"] == {"supplier0.example": 12, "supplier1.example": 12}
    assert sum(facets["year"].values()) == 24
    assert sum(facets["folder"].values()) == 24
    # every order is accepted; without search words all of them list the newest first
    orders = {}
    for sort in ("best", "relevance", "date"):
        resp = client.get(url, {"q": "", "sort": sort, "limit": "25"}, **auth)
        assert resp.status_code == 200
        orders[sort] = [h["id"] for h in resp.json()["hits"]]
    assert orders["best"] == orders["relevance"] == orders["date"] and len(orders["date"]) == 25
    bad = client.get(url, {"q": "angebot", "sort": "newest"}, **auth)
    assert bad.status_code == 400 and "sort must be 'best', 'relevance' or 'date'" in bad.content.decode()
