"""Backup search through its three surfaces: `kustos backup search --json` (one-line errors, exit 1),
GET /api/v1/customers/{id}/backup/search (400 on a bad query, 404 for a foreign customer, 403 for the
operator) and the "Search backups" page (hits with snippet and links, the error on the page, German)."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.backup.models import BackupItemVersion, BackupPlan
from kustos.backup.services import plans
from kustos.cli import registry as cli
from kustos.jobs import schedules
from kustos.jobs import services as job_services
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued_jobs")]


NOTES = b"Quartals Notizen mit dem Stichwort Kolibrinest\n"


def backup_and_index(plan: BackupPlan) -> str:
    job_services.set_inline(None)  # as under workers (`kustos` commands run jobs inline)
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    for index_job in Job.objects.filter(kind="backup.index", state=Job.State.QUEUED):
        execute(index_job.id)
    return job.result["snapshot"]


def kustos(capsys, *argv: str) -> tuple[int, object, str]:
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() and "--json" in argv and code == 0 else out), err


@pytest.fixture
def two_snapshots(source, cloud):
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", NOTES)
    plan = plans.enable(source)
    first = backup_and_index(plan)
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", b"neue Notizen ohne das alte Wort\n")
    second = backup_and_index(plan)
    return plan, first, second


def test_cli_search_json_contract_and_snapshot_filter(source, two_snapshots, capsys):
    plan, first, second = two_snapshots
    customer = source.customer
    code, rows, _ = kustos(capsys, "backup", "search", "--customer", customer.id, "Kolibrinest", "--json")
    assert code == 0 and len(rows) == 1
    row = rows[0]
    assert set(row) == {"snapshot", "time", "account", "path", "kind", "size", "sha256", "modified", "snippet"}
    assert (row["snapshot"], row["account"], row["path"], row["kind"], row["size"]) == (
        first, "anna", "Documents/notes.txt", "file", len(NOTES))
    assert row["sha256"] == hashlib.sha256(NOTES).hexdigest() and "<mark>Kolibrinest</mark>" in row["snippet"]
    code, rows, _ = kustos(capsys, "backup", "search", "--customer", customer.name, "--snapshot", first,
                           "Kolibrinest", "--json")
    assert code == 0 and [r["snapshot"] for r in rows] == [first]
    code, rows, _ = kustos(capsys, "backup", "search", "--customer", customer.id, "--snapshot", second,
                           "Kolibrinest", "--json")
    assert code == 0 and rows == []
    code, rows, _ = kustos(capsys, "backup", "search", "--customer", customer.id, "--source", source.id,
                           "Notizen", "--json")
    assert code == 0 and sorted(r["snapshot"] for r in rows) == sorted([first, second])


def test_cli_errors_are_one_line(source, two_snapshots, capsys):
    customer = source.customer
    code, _, err = kustos(capsys, "backup", "search", "--customer", customer.id, '"unclosed', "--json")
    assert code == 1 and err.startswith("kustos: error: invalid search:") and err.count("\n") == 1
    code, _, err = kustos(capsys, "backup", "search", "--customer", customer.id, "--snapshot", "nope", "x", "--json")
    assert code == 1 and "no backup snapshot nope" in err and err.count("\n") == 1
    code, _, err = kustos(capsys, "backup", "search", "--customer", customer.id, "--limit", "5000", "x", "--json")
    assert code == 1 and "limit must be between 0 and 1000" in err


def test_cli_index_rebuild_gives_the_same_versions(source, two_snapshots, capsys):
    plan, first, second = two_snapshots
    before = sorted(BackupItemVersion.objects.filter(plan=plan).values_list("id", "gone_snapshot"))
    code, out, _ = kustos(capsys, "backup", "index", "--source", source.id, "--json")
    assert code == 0 and out == {"snapshots": 0, "versions": 0, "closed": 0}
    code, out, _ = kustos(capsys, "backup", "index", "--source", source.id, "--rebuild", "--json")
    assert code == 0 and out["snapshots"] == 2 and out["versions"] == len(before)
    assert sorted(BackupItemVersion.objects.filter(plan=plan).values_list("id", "gone_snapshot")) == before


def bearer(user) -> dict[str, str]:
    _, token = tokens.create(user, "t")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_api_search(source, two_snapshots):
    plan, first, second = two_snapshots
    customer = source.customer
    url = f"/api/v1/customers/{customer.id}/backup/search"
    client = Client()
    auth = bearer(factories.user("pt@partner.example", "partner_tech", partner=customer.partner, totp=True))
    resp = client.get(url, {"q": "Kolibrinest"}, **auth)
    assert resp.status_code == 200
    body = resp.json()
    assert body["total"] == 1 and body["pending"] == 0 and body["truncated"] is False
    [hit] = body["hits"]
    assert (hit["account"], hit["path"], hit["snapshot"], hit["source"]) == ("anna", "Documents/notes.txt", first,
                                                                             source.id)
    assert client.get(url, {"q": "Kolibrinest", "snapshot": second}, **auth).json()["hits"] == []
    assert client.get(url, {"q": "Kolibrinest", "snapshot": first}, **auth).json()["total"] == 1
    page = client.get(url, {"q": "Notizen", "limit": "1", "offset": "1"}, **auth).json()
    assert page["total"] == 2 and len(page["hits"]) == 1

    bad = client.get(url, {"q": '"unclosed'}, **auth)
    assert bad.status_code == 400 and "\n" not in bad.json()["detail"]
    assert client.get(url, {"q": "x", "limit": "abc"}, **auth).status_code == 400
    assert client.get(url, {"q": "x", "snapshot": "nope"}, **auth).status_code == 404
    assert client.get(url, {"q": "x", "source": "sr_nope"}, **auth).status_code == 404

    foreign = factories.customer(factories.partner("Fremder Partner"), "Fremdkunde")
    stranger = bearer(factories.user("admin@fremd.example", "customer_admin", customer=foreign, totp=True))
    assert client.get(url, {"q": "Kolibrinest"}, **stranger).status_code == 404
    own = client.get(f"/api/v1/customers/{foreign.id}/backup/search", {"q": "Kolibrinest"}, **stranger)
    assert own.status_code == 200 and own.json()["hits"] == []  # its own backups: nothing of the other customer
    operator = bearer(factories.user("op@platform.example", "operator", totp=True))
    assert client.get(url, {"q": "Kolibrinest"}, **operator).status_code == 403


def test_dashboard_search_page(source, two_snapshots):
    plan, first, second = two_snapshots
    customer = source.customer
    admin = sign_in(Client(), factories.user("admin@kunde.example", "customer_admin", customer=customer))
    overview = admin.get(f"/customers/{customer.id}/backup/").content.decode()
    assert f'href="/customers/{customer.id}/backup/search/"' in overview

    url = f"/customers/{customer.id}/backup/search/"
    empty = admin.get(url)
    assert empty.status_code == 200 and 'data-testid="backup-search-form"' in empty.content.decode()
    html = admin.get(url, {"q": "Kolibrinest"}).content.decode()
    assert 'data-testid="backup-search-results"' in html and "Documents/notes.txt" in html
    assert "<mark>Kolibrinest</mark>" in html and "1 hit" in html
    assert (f"/customers/{customer.id}/sources/{source.id}/backup/browse/?snapshot={first}&amp;account=anna"
            f"&amp;path=Documents") in html
    download = (f"/customers/{customer.id}/sources/{source.id}/backup/download/?snapshot={first}&amp;account=anna"
                f"&amp;path=Documents/notes.txt")
    assert download in html
    zipped = admin.get(download.replace("&amp;", "&"))
    assert zipped.status_code == 200 and zipped["Content-Type"] == "application/zip"
    none = admin.get(url, {"q": "Kolibrinest", "snapshot": second}).content.decode()
    assert "Nothing found" in none and "Documents/notes.txt" not in none

    bad = admin.get(url, {"q": '"unclosed'})
    assert bad.status_code == 400 and 'data-testid="backup-search-error"' in bad.content.decode()

    admin.cookies["django_language"] = "de"
    german = admin.get(url, {"q": "Kolibrinest"}).content.decode()
    assert "Backups durchsuchen" in german and "1 Treffer" in german

    stranger = sign_in(Client(), factories.user("admin@fremd.example", "customer_admin",
                                                customer=factories.customer(customer.partner, "Fremd")))
    assert stranger.get(url, {"q": "Kolibrinest"}).status_code == 404


def test_a_cli_run_does_not_wait_for_indexing_and_cli_search_catches_up(source, cloud, capsys):
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", NOTES)
    kustos(capsys, "backup", "enable", "--source", source.id, "--json")
    code, run, _ = kustos(capsys, "backup", "run", "--source", source.id, "--json")
    assert code == 0 and not Job.objects.filter(kind="backup.index").exists()
    assert not BackupItemVersion.objects.exists()  # nothing indexed inside the run
    code, rows, _ = kustos(capsys, "backup", "search", "--customer", source.customer_id, "Kolibrinest", "--json")
    assert code == 0 and [(r["path"], r["snapshot"]) for r in rows] == [("Documents/notes.txt", run["snapshot"])]


def test_the_scheduler_indexes_snapshots_a_cli_run_left_unindexed(source, cloud, capsys):
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", NOTES)
    kustos(capsys, "backup", "enable", "--source", source.id, "--json")
    code, run, _ = kustos(capsys, "backup", "run", "--source", source.id, "--json")
    job_services.set_inline(None)  # the scheduler queues jobs for the workers
    assert code == 0 and not Job.objects.filter(kind="backup.index").exists()
    assert schedules.enqueue_backup_indexing.call_local() == 1
    assert schedules.enqueue_backup_indexing.call_local() == 0  # one index job queued is enough
    job = Job.objects.get(kind="backup.index")
    assert job.params == {"plan": BackupPlan.objects.get(source=source).id}
    execute(job.id)
    assert BackupItemVersion.objects.filter(path="Documents/notes.txt", first_snapshot=run["snapshot"]).count() == 1
    assert schedules.enqueue_backup_indexing.call_local() == 0  # nothing left to index
