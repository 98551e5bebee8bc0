"""Restore of SharePoint list items and site pages and of Teams channel threads against fakecloud (a real
process), through the CLI (`kustos backup restore ... --json`): items removed at the source come back
with the same fields (sha256 of the stored item equal), each conflict mode, another site / list and
another team / channel (created when missing), channel files into another team's library; chat
messages are reported as download only, and the ZIP download renders them as JSON and readable HTML;
mail restored into a new folder path of another user is byte-identical."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.archive.services import sources
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans
from kustos.backup.services.download import zip_stream
from kustos.cli import registry as cli
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute

pytestmark = pytest.mark.django_db

TENANT = "kustos-sp-restore.onmicrosoft.com"
USER = "lena@kustos-sp-restore.onmicrosoft.com"
OTHER = "max@kustos-sp-restore.onmicrosoft.com"


def canonical(fields: dict[str, Any]) -> bytes:
    """How fakecloud stores an item created through Graph (and how the tests seed, so sha256 compare)."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


ANGEBOT = {"Title": "Angebot", "Status": "offen", "Menge": 3}
RECHNUNG = {"Title": "Rechnung", "Status": "bezahlt", "Menge": 1}
CANVAS = {"horizontalSections": [{"id": "1", "layout": "oneColumn", "emphasis": "none", "columns": [
    {"id": "1", "width": 12, "webparts": [{"@odata.type": "#microsoft.graph.textWebPart", "id": "w1",
                                           "innerHtml": "<p>Willkommen im Projekt</p>"}]}]}]}


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class Graph:
    """A plain Graph client on the emulator, to look at (and change) the target like a user would."""

    def __init__(self, cloud: FakeCloudProcess, settings: dict[str, Any]) -> None:
        token = httpx.post(f"{cloud.base_url}/{TENANT}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": settings["client_id"],
            "client_secret": settings["client_secret"], "scope": "https://graph.microsoft.com/.default"})
        self.http = httpx.Client(base_url=cloud.base_url + "/v1.0", timeout=10,
                                 headers={"Authorization": "Bearer " + token.json()["access_token"]})

    def get(self, url: str) -> Any:
        response = self.http.get(url)
        assert response.status_code == 200, response.text
        return response.json()

    def site(self, name: str) -> str:
        return next(s["id"] for s in self.get("/sites?search=*")["value"] if s["name"] == name)

    def fields(self, site: str, list_name: str) -> list[dict[str, Any]]:
        rows = self.get(f"/sites/{site}/lists/{list_name}/items?expand=fields")["value"]
        return sorted(({k: v for k, v in r["fields"].items() if k in ("Title", "Status", "Menge")} for r in rows),
                      key=lambda f: f["Title"])

    def team(self, name: str) -> str:
        return next(g["id"] for g in self.get("/groups")["value"] if g["displayName"] == name)


def setup(control, customer, services: list[str]):
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    config = {k: v for k, v in settings.items() if k != "client_secret"}
    source = sources.add(customer, "graph", config, settings["client_secret"], actor="test")
    return settings, plans.enable(source, services=services)


def backup(plan) -> BackupSnapshot:
    job = plans.run_now(plan, actor="test")
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    return BackupSnapshot.objects.get(id=job.result["snapshot"])


def account_with(snap: BackupSnapshot, prefix: str, path: str) -> str:
    store = runtime.vault().store(snap.plan.customer_id)
    return next(r["account"] for r in store.snapshots.ls(snap.id)
                if r["account"].startswith(prefix) and any(store.snapshots.walk(snap.id, r["account"], path)))


def restore(capsys, snap: BackupSnapshot, *args: str) -> dict[str, Any]:
    capsys.readouterr()
    code = cli.run(["backup", "restore", snap.id, *args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def list_shas(control, site_path: str, list_name: str) -> Counter:
    return Counter(r["sha256"] for r in control.items("ms", TENANT, "listitem")
                   if r["path"].rpartition("/")[0] == f"{site_path}/{list_name}")


def test_list_items_restore_with_each_conflict_mode_and_into_another_site(fakecloud, customer, capsys):
    control = fakecloud.control
    settings, plan = setup(control, customer, ["sharepoint"])
    angebot = control.seed("ms", TENANT, USER, "listitem", "projekte/Aufgaben", canonical(ANGEBOT))
    control.seed("ms", TENANT, USER, "listitem", "projekte/Aufgaben", canonical(RECHNUNG))
    control.seed("ms", TENANT, USER, "file", "/old.txt", b"old\n", meta={"site": "archiv"})
    snap = backup(plan)
    site = account_with(snap, "sharepoint:", "Aufgaben")
    graph = Graph(fakecloud, settings)
    projekte, archiv = graph.site("projekte"), graph.site("archiv")
    original = Counter([sha(canonical(ANGEBOT)), sha(canonical(RECHNUNG))])
    assert list_shas(control, "projekte", "Aufgaben") == original

    control.call("remove", service="ms", tenant=TENANT, account=USER, kind="listitem", path=angebot["path"])
    assert restore(capsys, snap, "--account", site, "--path", "Aufgaben") == {"restored": 1, "skipped": 1,
                                                                               "failed": []}
    assert list_shas(control, "projekte", "Aufgaben") == original  # the same fields, byte for byte

    # replace: fields changed at the source are written back (Rechnung by its id, Angebot by its Title)
    for item in graph.get(f"/sites/{projekte}/lists/Aufgaben/items?expand=fields")["value"]:
        assert graph.http.patch(f"/sites/{projekte}/lists/Aufgaben/items/{item['id']}/fields",
                                json={"Status": "verschlüsselt"}).status_code == 200
    assert restore(capsys, snap, "--account", site, "--conflict", "replace") == {"restored": 2, "skipped": 0,
                                                                                 "failed": []}
    assert list_shas(control, "projekte", "Aufgaben") == original

    assert restore(capsys, snap, "--account", site, "--path", "Aufgaben", "--conflict", "copy") == {
        "restored": 2, "skipped": 0, "failed": []}
    assert [f["Title"] for f in graph.fields(projekte, "Aufgaben")] == [
        "Angebot", "Angebot (restored)", "Rechnung", "Rechnung (restored)"]
    assert restore(capsys, snap, "--account", site, "--path", "Aufgaben", "--conflict", "skip") == {
        "restored": 0, "skipped": 2, "failed": []}

    # another site and list name: the list is created with the source list's columns and template
    report = restore(capsys, snap, "--account", site, "--path", "Aufgaben", "--to-account", "archiv",
                     "--to-path", "Aus Projekte")  # a site by its name (or id, or web URL)
    assert report == {"restored": 2, "skipped": 0, "failed": []}
    assert graph.fields(archiv, "Aus Projekte") == [ANGEBOT, RECHNUNG]
    created = graph.get(f"/sites/{archiv}/lists/Aus Projekte?expand=columns")
    assert created["list"]["template"] == "genericList"
    assert {c["name"]: ("number" in c) for c in created["columns"]} == {"Title": False, "Status": False,
                                                                         "Menge": True}
    assert list_shas(control, "archiv", "Aus Projekte") == original
    assert restore(capsys, snap, "--account", site, "--path", "Aufgaben", "--to-account", archiv,
                   "--to-path", "Aus Projekte") == {"restored": 0, "skipped": 2, "failed": []}  # by id, by Title
    report = restore(capsys, snap, "--account", site, "--path", "Aufgaben", "--to-account", "nirgendwo")
    assert report["restored"] == 0 and {f["error"] for f in report["failed"]} == {
        "RestoreError: no SharePoint site 'nirgendwo' in the tenant"}


def test_a_deleted_list_is_created_again_with_columns_from_its_items(fakecloud, customer, capsys):
    control = fakecloud.control
    settings, plan = setup(control, customer, ["sharepoint"])
    control.seed("ms", TENANT, USER, "listitem", "projekte/Aufgaben", canonical(ANGEBOT))
    control.seed("ms", TENANT, USER, "listitem", "projekte/Aufgaben", canonical(RECHNUNG))
    snap = backup(plan)
    site = account_with(snap, "sharepoint:", "Aufgaben")
    graph = Graph(fakecloud, settings)
    projekte = graph.site("projekte")
    control.call("remove", service="ms", tenant=TENANT, account=USER, kind="listitem", path="projekte/Aufgaben")
    assert "Aufgaben" not in [x["displayName"] for x in graph.get(f"/sites/{projekte}/lists")["value"]]

    assert restore(capsys, snap, "--account", site) == {"restored": 2, "skipped": 0, "failed": []}
    created = graph.get(f"/sites/{projekte}/lists/Aufgaben?expand=columns")
    assert {c["name"]: ("number" in c) for c in created["columns"]} == {"Title": False, "Status": False,
                                                                         "Menge": True}
    assert list_shas(control, "projekte", "Aufgaben") == Counter([sha(canonical(ANGEBOT)), sha(canonical(RECHNUNG))])
    assert restore(capsys, snap, "--account", site) == {"restored": 0, "skipped": 2, "failed": []}  # by Title


def test_site_pages_restore_published_with_their_web_parts(fakecloud, customer, capsys):
    control = fakecloud.control
    settings, plan = setup(control, customer, ["sharepoint"])
    page = control.seed("ms", TENANT, USER, "page", "projekte/Start",
                        json.dumps({"title": "Start", "pageLayout": "article", "canvasLayout": CANVAS}).encode())
    snap = backup(plan)
    site = account_with(snap, "sharepoint:", "SitePages")
    graph = Graph(fakecloud, settings)
    projekte = graph.site("projekte")

    assert restore(capsys, snap, "--account", site, "--path", "SitePages") == {"restored": 0, "skipped": 1,
                                                                                "failed": []}
    control.call("remove", service="ms", tenant=TENANT, account=USER, kind="page", path=page["path"])
    assert graph.get(f"/sites/{projekte}/pages")["value"] == []
    assert restore(capsys, snap, "--account", site, "--path", "SitePages") == {"restored": 1, "skipped": 0,
                                                                                "failed": []}
    [back] = graph.get(f"/sites/{projekte}/pages")["value"]
    full = graph.get(f"/sites/{projekte}/pages/{back['id']}/microsoft.graph.sitePage?$expand=canvasLayout")
    assert (full["name"], full["title"], full["publishingState"]["level"]) == ("Start.aspx", "Start", "published")
    assert full["canvasLayout"] == CANVAS

    assert restore(capsys, snap, "--account", site, "--path", "SitePages", "--conflict", "copy") == {
        "restored": 1, "skipped": 0, "failed": []}
    assert restore(capsys, snap, "--account", site, "--path", "SitePages", "--conflict", "replace") == {
        "restored": 1, "skipped": 0, "failed": []}
    names = sorted((p["name"], p["title"]) for p in graph.get(f"/sites/{projekte}/pages")["value"])
    assert names == [("Start (restored).aspx", "Start (restored)"), ("Start.aspx", "Start")]


def channel_messages(control, team: str, channel: str) -> dict[str, str]:
    return {r["path"].split("/", 2)[2]: r["sha256"] for r in control.items("ms", TENANT, "channelmessage")
            if r["path"].startswith(f"{team}/{channel}/")}


def test_channel_threads_restore_with_a_header_and_chats_are_download_only(fakecloud, customer, capsys):
    control = fakecloud.control
    settings, plan = setup(control, customer, ["teams"])
    root = control.seed("ms", TENANT, USER, "channelmessage", "Vertrieb/Angebote", b"<p>Angebot fuer Contoso</p>")
    control.seed("ms", TENANT, OTHER, "channelmessage", "Vertrieb/Angebote", b"<p>Sieht gut aus</p>",
                 {"replyTo": root["id"]})
    control.seed("ms", TENANT, USER, "channelmessage", "Vertrieb/General", b"<p>Willkommen</p>")
    control.seed("ms", TENANT, OTHER, "channelmessage", "Einkauf/General", b"<p>Hallo Einkauf</p>")
    control.seed("ms", TENANT, USER, "chatmessage", "Mittag", b"<p>Pizza?</p>", {"members": [OTHER]})
    control.seed("ms", TENANT, USER, "file", "/Angebote/preise.txt", b"42 CHF\n", {"site": "Vertrieb"})
    snap = backup(plan)
    team = account_with(snap, "teams:", "Angebote")
    chats = account_with(snap, "teams:", "Mittag")
    graph = Graph(fakecloud, settings)
    vertrieb, einkauf = graph.team("Vertrieb"), graph.team("Einkauf")

    control.call("remove", service="ms", tenant=TENANT, account=USER, kind="channelmessage", path=root["path"])
    assert restore(capsys, snap, "--account", team, "--path", "Angebote") == {"restored": 1, "skipped": 0,
                                                                               "failed": []}
    channel = next(c["id"] for c in graph.get(f"/teams/{vertrieb}/channels")["value"]
                   if c["displayName"] == "Angebote")
    posted = [m for m in graph.get(f"/teams/{vertrieb}/channels/{channel}/messages")["value"]
              if not m["deletedDateTime"]]
    assert len(posted) == 1
    body = posted[0]["body"]["content"]
    assert body.startswith("<p><em>Restored message, originally posted by ") and "Angebot fuer Contoso" in body
    assert "lena" in body.lower() and root["id"] not in (posted[0]["id"],)
    [reply] = graph.get(f"/teams/{vertrieb}/channels/{channel}/messages/{posted[0]['id']}/replies")["value"]
    assert "originally posted by max" in reply["body"]["content"].lower() and "Sieht gut aus" in \
        reply["body"]["content"]

    general = channel_messages(control, "Vertrieb", "General")
    assert restore(capsys, snap, "--account", team, "--path", "General") == {"restored": 0, "skipped": 1,
                                                                              "failed": []}
    assert restore(capsys, snap, "--account", team, "--path", "General", "--conflict", "replace") == {
        "restored": 0, "skipped": 1, "failed": []}
    assert channel_messages(control, "Vertrieb", "General") == general
    assert restore(capsys, snap, "--account", team, "--path", "General", "--conflict", "copy") == {
        "restored": 1, "skipped": 0, "failed": []}
    assert len(channel_messages(control, "Vertrieb", "General")) == 2

    # another team, a channel that does not exist there yet
    report = restore(capsys, snap, "--account", team, "--path", "Angebote", "--path", "General", "--to-account",
                     einkauf, "--to-path", "Aus dem Vertrieb")
    assert report == {"restored": 2, "skipped": 0, "failed": []}
    created = [c for c in graph.get(f"/teams/{einkauf}/channels")["value"] if c["displayName"] == "Aus dem Vertrieb"]
    assert len(created) == 1
    restored = channel_messages(control, "Einkauf", "Aus dem Vertrieb")
    assert len(restored) == 3  # two threads, one reply

    # channel files go into the other team's library
    assert restore(capsys, snap, "--account", team, "--path", "Files", "--to-account", "Einkauf") == {
        "restored": 1, "skipped": 0, "failed": []}
    files = {r["path"]: r["sha256"] for r in control.items("ms", TENANT, "file")}
    assert files["sites/Einkauf/Shared Documents/Angebote/preise.txt"] == sha(b"42 CHF\n")

    report = restore(capsys, snap, "--account", chats)
    assert report["restored"] == report["skipped"] == 0 and len(report["failed"]) == 1
    assert report["failed"][0]["path"].startswith(f"{chats}/Mittag/")
    assert report["failed"][0]["error"] == ("download only: Microsoft Graph does not let an application post into "
                                            "users' chats; download the chat instead (ZIP with JSON and HTML)")

    archive = zipfile.ZipFile(io.BytesIO(b"".join(zip_stream(snap, chats))))
    names = archive.namelist()
    [json_name] = [n for n in names if n.endswith(".json")]
    [html_name] = [n for n in names if n.endswith(".html")]
    assert json.loads(archive.read(json_name))["body"]["content"] == "<p>Pizza?</p>"
    page = archive.read(html_name).decode()
    assert page.startswith("<!DOCTYPE html>") and "<p>Pizza?</p>" in page and "<strong>lena</strong>" in page


MIME = [(b"From: Max <max@example.org>\r\nTo: " + USER.encode() + b"\r\nSubject: Projekt %d\r\n"
         b"Message-ID: <projekt-%d@example.org>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nTeil %d\r\n")
        % (i, i, i) for i in range(3)]


def test_a_mail_folder_restores_into_a_new_folder_path_of_another_user(fakecloud, customer, capsys):
    control = fakecloud.control
    settings, plan = setup(control, customer, ["mail"])
    flag = {"flagStatus": "flagged", "dueDateTime": {"dateTime": "2026-06-05T00:00:00.0000000", "timeZone": "UTC"}}
    for n, mime in enumerate(MIME):
        control.seed("ms", TENANT, USER, "mail", "Inbox/Projekte", mime, {"flag": flag} if n == 0 else {})
    control.seed("ms", TENANT, USER, "mail", "Inbox", b"Subject: other\r\n\r\nnot restored\r\n")
    control.seed("ms", TENANT, OTHER, "mail", "Inbox", b"Subject: own\r\n\r\nmax's own mail\r\n")
    snap = backup(plan)
    lena = account_with(snap, "mail:", "Inbox/Projekte")

    report = restore(capsys, snap, "--account", lena, "--path", "Inbox/Projekte", "--to-account", OTHER,
                     "--to-path", "Archiv/2026")
    assert report == {"restored": 3, "skipped": 0, "failed": []}
    rows = control.items("ms", TENANT, "mail", OTHER)
    restored = Counter(r["sha256"] for r in rows if r["path"].startswith("Archiv/2026/Inbox/Projekte/"))
    assert restored == Counter(sha(m) for m in MIME)  # every message byte for byte, in the new folders
    assert Counter(r["path"].rpartition("/")[0] for r in rows) == Counter(
        {"Archiv/2026/Inbox/Projekte": 3, "Inbox": 1})
    graph = Graph(fakecloud, settings)  # the flag is not in the MIME: set after the message was created
    folders = {f["displayName"]: f["id"] for f in graph.get(f"/users/{OTHER}/mailFolders")["value"]}
    archiv = {f["displayName"]: f["id"] for f in graph.get(
        f"/users/{OTHER}/mailFolders/{folders['Archiv']}/childFolders")["value"]}
    inbox = graph.get(f"/users/{OTHER}/mailFolders/{archiv['2026']}/childFolders")["value"][0]
    projekte = graph.get(f"/users/{OTHER}/mailFolders/{inbox['id']}/childFolders")["value"][0]
    messages = graph.get(f"/users/{OTHER}/mailFolders/{projekte['id']}/messages/delta")["value"]
    assert sorted((m["subject"], m["flag"]["flagStatus"]) for m in messages) == [
        ("Projekt 0", "flagged"), ("Projekt 1", "notFlagged"), ("Projekt 2", "notFlagged")]
    assert next(m["flag"] for m in messages if m["subject"] == "Projekt 0") == flag
