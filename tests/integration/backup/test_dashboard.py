"""Dashboard backup pages: overview per customer, snapshot list per plan, browse with ZIP download;
German texts."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.test import Client

from kustos.backup.services import plans
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


def text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.content.decode()))


def test_overview_snapshots_browse_and_download(source, cloud):
    plan = plans.enable(source)
    execute(plans.run_now(plan, actor="test").id)
    cloud.failing.add("d2")
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", b"changed")
    execute(plans.run_now(plan, actor="test").id)
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=source.customer))
    base = f"/customers/{source.customer_id}"

    page = text(admin.get(f"{base}/backup/"))
    assert "anna@kunde.example" in page and "items failed" in page and "ben@kunde.example" in page
    assert "6.0 MB" in page  # ben's protected size

    page = text(admin.get(f"{base}/sources/{source.id}/backup/"))
    assert "1 item failed" in page and "complete" in page and page.count("Browse") >= 2

    resp = admin.get(f"{base}/sources/{source.id}/backup/browse/", {"account": "anna", "path": "Documents"})
    assert resp.status_code == 200
    assert "Documents/report.pdf" in text(resp) and "293.0 KB" in text(resp)
    link = re.search(r'data-testid="backup-download" href="([^"]+)"', resp.content.decode()).group(1)
    resp = admin.get(link.replace("&amp;", "&"))
    assert resp.status_code == 200 and resp.streaming
    with zipfile.ZipFile(io.BytesIO(b"".join(resp.streaming_content))) as zf:
        assert sorted(zf.namelist()) == ["anna/Documents/notes.txt", "anna/Documents/report.pdf"]

    admin.post("/account/language/", {"language": "de"})
    page = text(admin.get(f"{base}/sources/{source.id}/backup/", HTTP_ACCEPT_LANGUAGE="de"))
    assert "Momentaufnahmen" in page and "Durchsuchen" in page and "1 Element fehlgeschlagen" in page


def test_partner_enables_backup_and_runs_it_from_the_dashboard(source, cloud):
    tech = sign_in(Client(), factories.user("pt@partner.example", "partner_tech", partner=source.customer.partner,
                                            totp=True))
    base = f"/customers/{source.customer_id}"
    page = text(tech.get(f"{base}/backup/"))
    assert "not backed up" in page and "Enable backup" in page
    form = f"{base}/sources/{source.id}/backup/enable/"
    assert tech.get(form).status_code == 200
    resp = tech.post(form, {"scope": "list", "scope_ids": "", "services": ["files"], "interval_minutes": "480"})
    assert resp.status_code == 400 and "Name at least one user" in text(resp)
    resp = tech.post(form, {"scope": "list", "scope_ids": "anna", "services": ["files"], "interval_minutes": "480"})
    assert resp.status_code == 302
    plan = source.backup_plan
    plan.refresh_from_db()
    assert (plan.all_scopes, plan.scopes, plan.services) == (False, ["anna"], ["files"])
    resp = tech.post(f"{base}/sources/{source.id}/backup/run/")
    assert resp.status_code == 302
    job = Job.objects.get(kind="backup.run")
    execute(job.id)
    page = text(tech.get(f"{base}/sources/{source.id}/backup/"))
    assert "complete" in page and "Back up now" in page
    assert plan.snapshots.get().items == 3  # anna's folder and two files; no mail, no ben


def test_the_customer_page_links_to_the_backup_overview(customer):
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=customer))
    page = admin.get(f"/customers/{customer.id}/").content.decode()
    assert f'href="/customers/{customer.id}/backup/" data-testid="backup-link"' in page
