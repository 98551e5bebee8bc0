"""Full-text search across backup snapshots: one document per item version, indexed by the
``backup.index`` job a run starts; ``snapshot=`` keeps the versions current in that snapshot;
re-indexing adds nothing twice; retention removes versions in no remaining snapshot."""

from __future__ import annotations

import io

import docx
import pytest
from django.http import Http404

from kustos.audit.models import AuditEvent
from kustos.backup.models import BackupItemVersion, BackupPlan, BackupSearchState
from kustos.backup.services import plans, retention, search_index
from kustos.backup.services import search as backup_search
from kustos.core import runtime
from kustos.jobs import services as job_services
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.search import InvalidRequest, QuerySyntaxError
from kustos.tenants.services import customers
from tests import factories
from tests.integration.outdated_index import make_outdated

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queued_jobs")]


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def backup_and_index(plan: BackupPlan) -> str:
    """One run; then the index job the run queued (queued jobs start after the commit, which a test
    transaction never reaches, so the test runs it)."""
    job_services.set_inline(None)  # as under workers (`kustos` commands run jobs inline)
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    [index_job] = Job.objects.filter(kind="backup.index", state=Job.State.QUEUED)
    assert index_job.params == {"plan": plan.id}
    execute(index_job.id)
    index_job.refresh_from_db()
    assert index_job.state == Job.State.SUCCEEDED, index_job.error
    return job.result["snapshot"]


def found(customer, query: str, **kwargs) -> list[tuple[str, str, str]]:
    page = backup_search.run(customer, query, **kwargs)
    return sorted((h["account"], h["path"], h["snapshot"]) for h in page.hits)


def test_search_finds_mail_and_document_text_per_snapshot(source, cloud):
    customer = source.customer
    cloud.put("anna", "m2", "mail", "Mail/Inbox", "m2",
              b"From: Max <max@example.org>\r\nTo: anna@x.example\r\nSubject: Angebot Quokkafarm\r\n\r\n"
              b"Das Angebot nennt den Heliotropwald.\r\n")
    cloud.put("anna", "d4", "file", "Documents", "Vertrag.docx", docx_bytes("Vertrag mit dem Wort Zaunkoenig"))
    plan = plans.enable(source)
    first = backup_and_index(plan)

    assert found(customer, "Heliotropwald") == [("anna", "Mail/Inbox/m2", first)]
    assert found(customer, "Quokkafarm") == [("anna", "Mail/Inbox/m2", first)]  # the subject
    assert found(customer, "from:max@example.org") == [("anna", "Mail/Inbox/m2", first)]
    assert found(customer, "Zaunkoenig") == [("anna", "Documents/Vertrag.docx", first)]  # DOCX text
    assert found(customer, "notes.txt") == [("anna", "Documents/notes.txt", first)]  # the file name
    [hit] = backup_search.run(customer, "Zaunkoenig").hits
    assert "<mark>Zaunkoenig</mark>" in hit["snippet"] and hit["kind"] == "file" and hit["size"] > 0
    assert hit["current"] is True and hit["source"] == source.id

    cloud.put("anna", "d4", "file", "Documents", "Vertrag.docx", docx_bytes("Neue Fassung mit Eisvogel"))
    second = backup_and_index(plan)
    assert found(customer, "Zaunkoenig", snapshot=first) == [("anna", "Documents/Vertrag.docx", first)]
    assert found(customer, "Zaunkoenig", snapshot=second) == []
    assert found(customer, "Eisvogel", snapshot=first) == []
    assert found(customer, "Eisvogel", snapshot=second) == [("anna", "Documents/Vertrag.docx", second)]
    # Without a snapshot every version is found, each naming the latest snapshot that holds it.
    assert found(customer, "Zaunkoenig") == [("anna", "Documents/Vertrag.docx", first)]
    assert found(customer, "Heliotropwald") == [("anna", "Mail/Inbox/m2", second)]
    [mail] = backup_search.run(customer, "Heliotropwald").hits
    assert mail["snapshots"] == 2 and mail["first_time"] < mail["time"]
    # One version per content: the unchanged mail was not indexed again.
    assert BackupItemVersion.objects.filter(plan=plan, path="Mail/Inbox/m2").count() == 1
    assert BackupItemVersion.objects.filter(plan=plan, path="Documents/Vertrag.docx").count() == 2

    cloud.remove("anna", "m2")
    third = backup_and_index(plan)
    assert found(customer, "Heliotropwald", snapshot=third) == []
    assert found(customer, "Heliotropwald", snapshot=second) == [("anna", "Mail/Inbox/m2", second)]


def test_indexing_again_adds_nothing_twice(source, cloud):
    plan = plans.enable(source)
    backup_and_index(plan)
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", b"changed notes with Pfauenauge\n")
    backup_and_index(plan)
    versions = sorted(BackupItemVersion.objects.values_list("id", "gone_snapshot"))
    index = runtime.search_index()
    docs = index.count(f"{source.customer_id}.backup")
    assert search_index.catch_up(plan) == {"snapshots": 0, "versions": 0, "closed": 0}
    BackupSearchState.objects.filter(plan=plan).update(snapshot="", time=None)  # as if both jobs ran again
    again = search_index.catch_up(plan)
    assert again["snapshots"] == 2 and again["versions"] == 0
    assert sorted(BackupItemVersion.objects.values_list("id", "gone_snapshot")) == versions
    assert index.count(f"{source.customer_id}.backup") == docs == len(versions)
    assert [h["path"] for h in backup_search.run(source.customer, "Pfauenauge").hits] == ["Documents/notes.txt"]


def test_retention_removes_versions_in_no_remaining_snapshot(source, cloud):
    plan = plans.enable(source)
    backup_and_index(plan)
    cloud.put("anna", "d2", "file", "Documents", "notes.txt", b"second notes Wiedehopf\n")
    second = backup_and_index(plan)
    assert found(source.customer, "plain") == [("anna", "Documents/notes.txt", backup_search.run(
        source.customer, "plain").hits[0]["snapshot"])]
    plan.keep_last = 1
    plan.save()
    result = retention.apply(plan)
    assert result["kept"] == [second]
    assert found(source.customer, "plain") == []  # the old notes are in no remaining snapshot
    assert found(source.customer, "Wiedehopf") == [("anna", "Documents/notes.txt", second)]
    assert not BackupItemVersion.objects.filter(plan=plan, gone_snapshot=second).exists()
    assert runtime.search_index().count(f"{source.customer_id}.backup") == BackupItemVersion.objects.filter(
        plan=plan).count()


def test_bad_queries_and_foreign_snapshots_are_refused(source, cloud):
    plan = plans.enable(source)
    sid = backup_and_index(plan)
    with pytest.raises(QuerySyntaxError):
        backup_search.run(source.customer, '"unclosed')
    with pytest.raises(InvalidRequest, match="empty"):
        backup_search.run(source.customer, "  ")
    with pytest.raises(InvalidRequest, match="limit"):
        backup_search.run(source.customer, "plain", limit=5000)
    other = factories.customer(source.customer.partner, "Andere Kunde")
    with pytest.raises(Http404):
        backup_search.run(other, "plain", snapshot=sid)
    assert backup_search.run(other, "plain").hits == []


def test_search_as_checks_the_scope_and_is_audited(source, cloud):
    plan = plans.enable(source)
    backup_and_index(plan)
    admin = factories.user("admin@kunde.example", "customer_admin", customer=source.customer)
    page = backup_search.search_as(admin, source.customer_id, "plain")
    assert [h["path"] for h in page.hits] == ["Documents/notes.txt"] and page.pending == 0
    event = AuditEvent.objects.filter(action="backup.search").last()
    assert event.detail["query"] == "plain" and event.detail["total"] == 1
    stranger = factories.user("admin@fremd.example", "customer_admin",
                              customer=factories.customer(source.customer.partner, "Fremd"))
    with pytest.raises(Http404):
        backup_search.search_as(stranger, source.customer_id, "plain")


def test_customer_wipe_drops_the_backup_partition_of_the_index(source, cloud):
    plan = plans.enable(source)
    backup_and_index(plan)
    key = f"{source.customer_id}.backup"
    index = runtime.search_index()
    assert index.count(key) == 6  # anna: report.pdf, notes.txt, m1, e1; ben: big.bin, c1 (folders: none)
    customers.wipe(source.customer_id, requested_by="test")
    assert index.count(key) == 0


def test_items_over_the_size_cap_are_found_by_name_only(source, cloud, monkeypatch):
    monkeypatch.setattr(search_index, "TEXT_CAP", 1000)
    cloud.put("anna", "d5", "file", "Documents", "Seeadler-Bericht.txt", b"Fischotter " * 200)  # 2200 bytes
    cloud.put("anna", "d6", "file", "Documents", "klein.txt", b"Fischotter klein\n")
    plan = plans.enable(source)
    sid = backup_and_index(plan)
    assert found(source.customer, "Fischotter") == [("anna", "Documents/klein.txt", sid)]
    assert found(source.customer, "Seeadler-Bericht.txt") == [("anna", "Documents/Seeadler-Bericht.txt", sid)]
    big = BackupItemVersion.objects.get(plan=plan, path="Documents/Seeadler-Bericht.txt")
    assert big.text_skipped == "larger than 1000 bytes: name only" and big.size == 2200


def test_documents_of_an_older_analysis_are_indexed_again_by_themselves(source, cloud):
    """After an upgrade that changed the analysis, the backup partition is not searched as it is:
    the first search (or index job, or retention) drops it and queues every plan's index job, and
    `kustos backup index --rebuild` works on it as well."""
    cloud.put("anna", "d4", "file", "Documents", "Vertrag.docx", docx_bytes("Vertrag mit dem Wort Zaunkoenig"))
    plan = plans.enable(source)
    first = backup_and_index(plan)
    make_outdated(f"{source.customer_id}.backup")
    page = backup_search.run(source.customer, "Zaunkoenig")
    assert page.hits == [] and page.pending  # nothing from the old documents; says what is still to index
    [job] = Job.objects.filter(kind="backup.index", state=Job.State.QUEUED)
    assert job.params == {"plan": plan.id}
    execute(job.id)
    assert found(source.customer, "Zaunkoenig") == [("anna", "Documents/Vertrag.docx", first)]
    make_outdated(f"{source.customer_id}.backup")
    counts = search_index.rebuild(plan)
    assert counts["snapshots"] == 1 and counts["versions"] >= 1
    assert found(source.customer, "Zaunkoenig") == [("anna", "Documents/Vertrag.docx", first)]
