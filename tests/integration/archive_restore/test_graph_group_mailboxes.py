"""A Microsoft 365 source archives and backs up Microsoft 365 group mailboxes: every group, including one
created after the first run, is a scope; each post lands in the vault under the group's address in the
folder "Conversations", byte-identical to what the posts-to-MIME reader produces, and the mail backup
(all scopes, including new ones) holds the same bytes."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.models import MessageRef
from kustos.archive.services import sources as source_service
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import browse, plans
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.sources.egress import EgressPolicy
from kustos.sources.graph import GraphMailConnector
from tests.contract.connector_contract import drain
from tests.integration.archive_restore.helpers import mail, sha

pytestmark = pytest.mark.django_db
TENANT = "tenant-group-mailboxes"
LENA, PROJECT, LATER = "lena@kunde.example", "projekt@kunde.example", "einkauf@kunde.example"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def seeded_source(fakecloud: FakeCloudProcess, customer):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    control.seed("ms", TENANT, LENA, "mail", "Inbox", mail(1, "groups", LENA, datetime(2026, 2, 1, 9, 0, tzinfo=UTC)), {})
    first = control.seed("ms", TENANT, PROJECT, "group_post", "Kick-off", b"<p>Agenda anbei</p>", {
        "from": LENA, "displayName": "Projekt", "receivedDateTime": "2026-02-02T09:00:00Z",
        "attachments": [{"name": "agenda.txt", "contentType": "text/plain",
                         "content_b64": base64.b64encode(b"1. Begruessung\n").decode()}]})
    control.seed("ms", TENANT, PROJECT, "group_post", "", b"<p>Danke!</p>",
                 {"from": "max@kunde.example", "replyTo": first["id"], "receivedDateTime": "2026-02-02T10:00:00Z"})
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = source_service.add(customer, "graph", config, settings["client_secret"])
    reader = GraphMailConnector(TENANT, settings["client_id"], settings["client_secret"], endpoint=fakecloud.base_url,
                                login_endpoint=fakecloud.base_url,
                                egress=EgressPolicy.from_values(False, ["127.0.0.1/32"]))
    return source, reader


def group_posts(reader: GraphMailConnector, address: str) -> set[str]:
    scope = next(s for s in reader.scopes() if s.name == address)
    return {sha(item.data) for item in drain(reader, scope, None).items}


def archived(customer, address: str) -> set[tuple[str, str]]:
    return {(ref.folder.path, ref.message.sha256) for ref in MessageRef.objects.filter(
        message__customer=customer, mailbox__address=address).select_related("folder", "message")}


def test_group_mailboxes_archived_including_new_groups(fakecloud, archive_customer):
    source, reader = seeded_source(fakecloud, archive_customer)
    result = source_service.run(source)
    assert result["errors"] == [] and result["imported"] == 3  # Lena's message and the group's two posts
    expected = group_posts(reader, PROJECT)
    assert len(expected) == 2
    assert archived(archive_customer, PROJECT) == {("Conversations", digest) for digest in expected}
    assert source_service.run(source)["imported"] == 0

    fakecloud.control.seed("ms", TENANT, LATER, "group_post", "Bestellung", b"<p>Neue Bestellung</p>",
                           {"from": LENA, "receivedDateTime": "2026-02-03T09:00:00Z"})
    assert source_service.run(source)["imported"] == 1
    assert archived(archive_customer, LATER) == {("Conversations", digest) for digest in group_posts(reader, LATER)}


def test_mail_backup_holds_the_group_posts(fakecloud, archive_customer):
    source, reader = seeded_source(fakecloud, archive_customer)
    plan = plans.enable(source, services=["mail"], actor="test")
    assert plan.all_scopes
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    snap = BackupSnapshot.objects.get(id=job.result["snapshot"])
    [account] = [r["account"] for r in browse.ls(snap) if r["account"].startswith("mail:group:")]
    rows = browse.ls(snap, account, "Conversations")
    assert {r["sha256"] for r in rows} == group_posts(reader, PROJECT)
    assert len(rows) == 2 and all(r["size"] > 0 for r in rows)


def test_group_mailbox_selectable_alone(fakecloud, archive_customer):
    source, reader = seeded_source(fakecloud, archive_customer)
    offered = source_service.scopes(source)
    assert offered["ok"], offered["error"]
    [group] = [s for s in offered["scopes"] if s["kind"] == "group"]
    assert group["name"] == PROJECT and group["id"].startswith("group:")
    assert [s["name"] for s in offered["scopes"] if s["kind"] == "mailbox"] == [LENA]
    plan = plans.enable(source, scopes=[group["id"]], services=["mail"], actor="test")
    assert not plan.all_scopes
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    snap = BackupSnapshot.objects.get(id=job.result["snapshot"])
    assert [r["account"] for r in browse.ls(snap)] == [f"mail:{group['id']}"]
    assert {r["sha256"] for r in browse.ls(snap, f"mail:{group['id']}", "Conversations")} == group_posts(reader,
                                                                                                        PROJECT)
