"""Backup search end to end against fakecloud (a real process): a mailbox with a mail holding one unique
word and a OneDrive with a DOCX holding another are backed up and indexed by the job the run queues;
`kustos backup search --json`, the API and the dashboard find each at the right account and path; after
the document changes, the first snapshot still finds the old word and the second does not."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import docx
import pytest
from django.test import Client

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.accounts.services import tokens
from kustos.archive.services import sources
from kustos.backup.services import plans
from kustos.cli import registry as cli
from kustos.jobs import services as job_services
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued_jobs")]


TENANT = "kustos-search.onmicrosoft.com"
USER = "lena@kustos-search.onmicrosoft.com"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def backup_and_index(plan) -> str:
    job_services.set_inline(None)  # as under workers (`kustos` commands run jobs inline)
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result["failed"] == []
    [index_job] = Job.objects.filter(kind="backup.index", state=Job.State.QUEUED)
    execute(index_job.id)
    index_job.refresh_from_db()
    assert index_job.state == Job.State.SUCCEEDED, index_job.error
    return job.result["snapshot"]


def search_cli(capsys, *argv: str) -> list[dict]:
    capsys.readouterr()
    code = cli.run(["backup", "search", *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_mail_and_document_found_per_snapshot(fakecloud, customer, capsys):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    mime = (b"From: Max <max@example.org>\r\nTo: lena@kustos-search.onmicrosoft.com\r\nSubject: Lieferung\r\n"
            b"Message-ID: <lieferung-1@example.org>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\n"
            b"Die Lieferung enthaelt Wombatkekse.\r\n")
    control.seed("ms", TENANT, USER, "mail", "Inbox", mime)
    control.seed("ms", TENANT, USER, "file", "/Docs/angebot.docx", docx_bytes("Angebot fuer Tapirsessel"))
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = sources.add(customer, "graph", config, settings["client_secret"], actor="test")
    plan = plans.enable(source, services=["mail", "onedrive"])
    first = backup_and_index(plan)

    [mail] = search_cli(capsys, "--customer", customer.id, "Wombatkekse")
    assert mail["account"].startswith("mail:") and mail["path"].startswith("Inbox/") and mail["kind"] == "mail"
    assert mail["snapshot"] == first and "<mark>Wombatkekse</mark>" in mail["snippet"]
    [doc] = search_cli(capsys, "--customer", customer.id, "Tapirsessel")
    assert doc["account"].startswith("onedrive:") and doc["path"] == "Docs/angebot.docx" and doc["kind"] == "file"
    assert doc["snapshot"] == first

    control.seed("ms", TENANT, USER, "file", "/Docs/angebot.docx", docx_bytes("Neues Angebot fuer Okapistuhl"))
    second = backup_and_index(plan)
    assert [h["snapshot"] for h in search_cli(capsys, "--customer", customer.id, "--snapshot", first,
                                              "Tapirsessel")] == [first]
    assert search_cli(capsys, "--customer", customer.id, "--snapshot", second, "Tapirsessel") == []
    assert [h["path"] for h in search_cli(capsys, "--customer", customer.id, "--snapshot", second,
                                          "Okapistuhl")] == ["Docs/angebot.docx"]
    assert [h["snapshot"] for h in search_cli(capsys, "--customer", customer.id, "Wombatkekse")] == [second]

    _, token = tokens.create(factories.user("pt@partner.example", "partner_tech", partner=customer.partner,
                                            totp=True), "t")
    api = Client().get(f"/api/v1/customers/{customer.id}/backup/search", {"q": "Okapistuhl"},
                       HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200
    assert [(h["account"], h["path"], h["snapshot"]) for h in api.json()["hits"]] == [
        (doc["account"], "Docs/angebot.docx", second)]

    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=customer))
    html = admin.get(f"/customers/{customer.id}/backup/search/", {"q": "Wombatkekse"}).content.decode()
    assert mail["account"] in html and mail["path"] in html and "<mark>Wombatkekse</mark>" in html

    foreign = factories.customer(factories.partner("Fremder Partner"), "Fremdkunde")
    assert search_cli(capsys, "--customer", foreign.id, "Wombatkekse") == []
    stranger = sign_in(Client(), factories.user("admin@fremd.example", "customer_admin", customer=foreign))
    assert stranger.get(f"/customers/{customer.id}/backup/search/", {"q": "Wombatkekse"}).status_code == 404
