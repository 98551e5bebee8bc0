"""Bulk activation against a Microsoft 365 tenant in fakecloud (a real process): user principal names,
a site URL and a team name find their scopes (one per service), the services column picks among them,
and the next backup run backs up exactly the activated scopes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.services import sources
from kustos.backup.models import BackupPlan, BackupSnapshot
from kustos.backup.services import activation, browse, plans, runs
from kustos.backup.sink import account_of
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

TENANT = "kustos-activate.onmicrosoft.com"
LENA, TOM = f"lena@{TENANT}", f"tom@{TENANT}"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def test_names_urls_and_services_of_a_microsoft_365_tenant(fakecloud, customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    for upn in (LENA, TOM):
        control.seed("ms", TENANT, upn, "file", "/Docs/a.txt", f"hello {upn}\n".encode())
    control.seed("ms", TENANT, LENA, "file", "/Brochures/spring.txt", b"Spring\n", {"site": "marketing"})
    control.seed("ms", TENANT, TOM, "channelmessage", "Sales Team/General", b"<p>Hi team</p>")
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = sources.add(customer, "graph", config, settings["client_secret"], actor="test")
    plan = plans.enable(source, scopes=["nobody"], services=["onedrive", "sharepoint", "teams"])
    conn = runs.connector(plan)
    offered = list(conn.scopes())
    conn.close()
    site_url = next(s.name for s in offered if s.id.startswith("sharepoint:") and "marketing" in s.name)

    csv = (f"account,services\n{LENA.upper()},onedrive\nSales Team,\n{site_url}/,\n{TOM},teams\n"
           f"{TOM},mail\n").encode()
    report = activation.activate(plan, csv, partial=True, actor="test")
    by_line = {line["line"]: line for line in report["lines"]}
    assert [by_line[n]["status"] for n in (2, 3, 4, 5, 6)] == [
        "activated", "activated", "activated", "activated", "bad_services"]
    assert by_line[6]["detail"] == "service 'mail' is not backed up by this plan (onedrive, sharepoint, teams)"
    assert [s.split(":")[0] for s in by_line[2]["scopes"]] == ["onedrive"]
    assert [s.split(":")[0] for s in by_line[3]["scopes"]] == ["teams"]
    assert [s.split(":")[0] for s in by_line[4]["scopes"]] == ["sharepoint"]
    tom_chats = by_line[5]["scopes"]  # Tom's chats only, not his OneDrive
    assert len(tom_chats) == 1 and tom_chats[0].startswith("teams:chats/")
    activated = [s for n in (2, 3, 4, 5) for s in by_line[n]["scopes"]]
    assert BackupPlan.objects.get(id=plan.id).scopes == ["nobody", *activated]

    job = plans.run_now(BackupPlan.objects.get(id=plan.id), actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    snap = BackupSnapshot.objects.get(id=job.result["snapshot"])
    backed_up = {row["account"] for row in browse.ls(snap)}
    assert backed_up <= {account_of(s) for s in offered if s.id in activated}
    assert {a.split(":")[0] for a in backed_up} == {"onedrive", "sharepoint", "teams"}

    # The overview links each account (ids with ':' and ',') to its timeline.
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=customer))
    overview = admin.get(f"/customers/{customer.id}/backup/").content.decode()
    links = re.findall(r'href="([^"]+)" data-testid="backup-account-link"', overview)
    site = next(link for link in links if "sharepoint%3A" in link)
    assert "%2C" in site and ":" not in site
    page = admin.get(site).content.decode()
    assert page.count('data-testid="backup-timeline-row"') == 1 and "marketing" in page
