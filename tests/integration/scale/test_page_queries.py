"""The number of SQL queries of the pages a partner uses every day does not grow with the number of
customers: each page and API list is fetched at 5 and at 50 customers and must issue the same number."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kustos.accounts.services import tokens
from kustos.archive.models import Source
from kustos.web.views.overview import HOME_HEALTH_ROWS
from tests import factories
from tests.integration.scale.population import index_messages, populate

pytestmark = pytest.mark.django_db

UPPER_BOUND = 60  # queries per page, any page, any number of customers


def pages(pop) -> dict[str, str]:
    """The pages and API lists of a partner with many customers (first customer where one is needed)."""
    first = pop.customers[0]
    source = pop.sources[0]
    return {
        "home": "/",
        "customer list": "/customers/",
        "customer list search": "/customers/?q=Kunde",
        "customer": f"/customers/{first.id}/",
        "search": f"/archive/search/?customer={first.id}&q=Rechnung",
        "jobs": "/jobs/",
        "sources": f"/customers/{first.id}/sources/",
        "api customers": "/api/v1/customers",
        "api jobs": "/api/v1/jobs",
        "api health": "/api/v1/health/customers",
        "api sources": f"/api/v1/customers/{first.id}/sources",
        "api source": f"/api/v1/sources/{source.id}",
        "api search": f"/api/v1/customers/{first.id}/archive/search?q=Rechnung",
    }


def count_queries(n: int, settings) -> dict[str, int]:
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, require_2fa_for_admins=False)
    pop = populate(n, partner_name=f"Scale {n}")
    assert index_messages(pop.customers[0]) == 3  # the search pages show hits
    admin = factories.user(f"admin{n}@scale.example", "partner_admin", partner=pop.partner)
    _, secret = tokens.create(admin, "scale")
    client = Client()
    client.force_login(admin)
    counts = {}
    for name, url in pages(pop).items():
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if url.startswith("/api/") else {}
        client.get(url, **headers)  # warm: sessions, caches, lazy imports
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **headers)
        assert response.status_code == 200, (name, response.status_code, response.content[:300])
        if "search" in url:
            assert response.content.count(b"Rechnung 2") >= 1, name
        counts[name] = len(queries)
    return counts


def test_queries_per_page_do_not_grow_with_the_number_of_customers(settings):
    few = count_queries(5, settings)
    many = count_queries(50, settings)
    print("\nqueries per page at 5 / 50 customers:")
    for name in few:
        print(f"  {name:24} {few[name]:4} {many[name]:4}")
    assert many == few
    assert max(many.values()) <= UPPER_BOUND, many


def test_home_lists_the_worst_customers_first_and_names_how_many_more_are_in_the_list(settings):
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, require_2fa_for_admins=False)
    pop = populate(130, partner_name="Many")
    failing = pop.sources[129]
    Source.objects.filter(id=failing.id).update(consecutive_failures=5)
    admin = factories.user("admin@many.example", "partner_admin", partner=pop.partner)
    client = Client()
    client.force_login(admin)
    html = client.get("/").content.decode()
    assert html.count('<tr data-testid="health-cu') == HOME_HEALTH_ROWS == 100
    first_row = html.index('<tr data-testid="health-cu')
    assert html.index(f'<tr data-testid="health-{pop.customers[129].id}"') == first_row  # the red one on top
    assert "Worst first; 30 more customers are in the" in html and 'href="/customers/">customer list</a>' in html
    assert "1 red" in html and "129 green" in html  # the summary counts every customer
    admin.language = "de"
    admin.save(update_fields=["language"])
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Die schlechtesten zuerst; 30 weitere Kunden stehen in der" in html
