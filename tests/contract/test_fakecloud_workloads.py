"""fakecloud SharePoint, Teams, calendars/contacts/To Do and the generic control API over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakecloud.client import ControlError
from fakecloud.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT
from fakecloud.testing import ROOT, FakeCloudProcess, generated_message, running_fakecloud

TENANT = "wl.onmicrosoft.com"
ANN, BOB = "ann@wl.onmicrosoft.com", "bob@wl.onmicrosoft.com"
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:standup-1\r\nSUMMARY:Standup\r\n"
       b"DTSTART:20260105T090000Z\r\nDTEND:20260105T091500Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10\r\n"
       b"LOCATION:Room 1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
ICS_LATER = ICS.replace(b"standup-1", b"review-2").replace(b"20260105", b"20260310").replace(
    b"RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10\r\n", b"")
VCF = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Kim Lee\r\nN:Lee;Kim;;;\r\nEMAIL:kim@example.org\r\nORG:Fabrikam\r\nEND:VCARD\r\n"
WINDOW = "startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-02-01T00:00:00Z"


@pytest.fixture(scope="module")
def cloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture
def graph(cloud: FakeCloudProcess) -> Iterator[dict[str, Any]]:
    control = cloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    with httpx.Client(base_url=cloud.base_url, timeout=10) as http:
        answer = http.post(f"/{TENANT}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": settings["client_id"],
            "client_secret": settings["client_secret"], "scope": "https://graph.microsoft.com/.default"})
        auth = {"Authorization": "Bearer " + answer.json()["access_token"]}

        def get(url: str, status: int = 200) -> Any:
            response = http.get(url if url.startswith("http") else "/v1.0" + url, headers=auth)
            assert response.status_code == status, response.text
            return response.json()

        yield {"http": http, "auth": auth, "control": control, "get": get, "settings": settings}


def rounds(get: Any, url: str) -> tuple[list[dict[str, Any]], str]:
    rows: list[dict[str, Any]] = []
    while True:
        body = get(url)
        rows += body["value"]
        if "@odata.deltaLink" in body:
            return rows, body["@odata.deltaLink"]
        url = body["@odata.nextLink"]


def test_credentials_settings_work_against_the_emulator(graph: dict[str, Any]) -> None:
    settings = graph["settings"]
    assert set(settings) == {"tenant_id", "client_id", "client_secret", "endpoint", "login_endpoint"}
    assert settings["endpoint"] == settings["login_endpoint"] == str(graph["http"].base_url).rstrip("/")
    graph["control"].seed("ms", TENANT, ANN, "mail", "Inbox", generated_message(1, "c"))
    assert [u["userPrincipalName"] for u in graph["get"]("/users")["value"]] == [ANN]


def test_seed_items_remove_round_trip_for_every_kind(graph: dict[str, Any]) -> None:
    control = graph["control"]
    seeded = {
        "mail": ("Inbox/Receipts", generated_message(7, "rt"), {}),
        "event": ("Calendar", ICS, {}),
        "contact": ("Contacts", VCF, {}),
        "task": ("Tasks", json.dumps({"title": "Pay invoice", "status": "notStarted"}).encode(), {}),
        "file": ("/Docs/plan.txt", b"the plan", {}),
        "listitem": ("projects/Issues", json.dumps({"Title": "Broken build"}).encode(), {}),
        "page": ("projects/Home", json.dumps({"title": "Welcome"}).encode(), {}),
        "channelmessage": ("Sales/General", json.dumps({"body": {"contentType": "html", "content": "<p>Hi</p>"}})
                           .encode(), {}),
        "chatmessage": ("Lunch", b"Pizza at noon?", {"members": [BOB]}),
    }
    paths = {}
    for kind, (path, content, meta) in seeded.items():
        paths[kind] = control.seed("ms", TENANT, ANN, kind, path, content, meta)["path"]
        listed = control.items("ms", TENANT, kind, ANN)
        assert [(r["path"], r["sha256"], r["size"]) for r in listed] == [
            (paths[kind], hashlib.sha256(content).hexdigest(), len(content))], kind
    site_file = control.seed("ms", TENANT, ANN, "file", "/Shared/a.bin", b"\x00\x01", {"site": "projects"})
    assert site_file["path"] == "sites/projects/Shared Documents/Shared/a.bin"
    bob_file = control.seed("ms", TENANT, BOB, "file", "/Docs/plan.txt", b"bob's plan")
    assert {r["path"] for r in control.items("ms", TENANT, "file")} == {
        f"users/{ANN}/Docs/plan.txt", f"users/{BOB}/Docs/plan.txt", site_file["path"]}
    control.remove("ms", TENANT, "", "file", f"users/{BOB}/Docs/plan.txt")
    assert control.items("ms", TENANT, "file", BOB) == [] and bob_file["path"] == "/Docs/plan.txt"
    for kind, path in [*paths.items(), ("file", site_file["path"])]:
        before = control.items("ms", TENANT, kind, "" if path.startswith("sites/") else ANN)
        control.remove("ms", TENANT, ANN, kind, path)
        after = control.items("ms", TENANT, kind, "" if path.startswith("sites/") else ANN)
        assert [r["path"] for r in before if r not in after] == [path], kind
    with pytest.raises(ControlError, match="unknown kind 'fax'"):
        control.seed("ms", TENANT, ANN, "fax", "x", b"x")
    with pytest.raises(ControlError, match="no file /nope"):
        control.remove("ms", TENANT, ANN, "file", "/nope")
    with pytest.raises(ControlError, match="a task is seeded as a JSON object"):
        control.seed("ms", TENANT, ANN, "task", "Tasks", b"[1]")
    with pytest.raises(ControlError, match="the ICS has no VEVENT with DTSTART"):
        control.seed("ms", TENANT, ANN, "event", "Calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    malformed = graph["http"].post(f"/v1.0/users/{ANN}/contacts", content=b"{nope", headers=graph["auth"])
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (400, "BadRequest")


def test_google_mail_uses_the_same_control(cloud: FakeCloudProcess) -> None:
    control = cloud.control
    control.call("reset")
    settings = control.credentials("google", "example.com")
    assert settings["admin"] == "admin@example.com" and settings["service_account"]["private_key"]
    raw = generated_message(3, "g")
    seeded = control.seed("google", "example.com", "kim@example.com", "mail", "Projects", raw)
    assert control.items("google", "example.com", "mail", "kim@example.com") == [
        {"path": seeded["path"], "sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw),
         "modified": control.items("google", "example.com", "mail")[0]["modified"], "labels": ["Projects"]}]
    control.remove("google", "example.com", "kim@example.com", "mail", seeded["path"])
    assert control.items("google", "example.com", "mail") == []


def test_sites_subsites_search_lists_and_pages(graph: dict[str, Any]) -> None:
    control, get = graph["control"], graph["get"]
    control.seed("ms", TENANT, ANN, "listitem", "marketing/emea/Campaigns", json.dumps({"Title": "Spring"}).encode())
    control.seed("ms", TENANT, ANN, "page", "marketing/Launch", json.dumps({"title": "Launch"}).encode())
    root = get("/sites/root")
    assert "root" in root and root["webUrl"] == "https://wl.sharepoint.com"
    marketing = get("/sites?search=marketing")["value"]
    assert [s["name"] for s in marketing] == ["marketing"]
    subsites = get(f"/sites/{marketing[0]['id']}/sites")["value"]
    assert [s["webUrl"] for s in subsites] == ["https://wl.sharepoint.com/sites/marketing/emea"]
    emea = subsites[0]["id"]
    lists = {x["displayName"]: x for x in get(f"/sites/{emea}/lists")["value"]}
    assert lists["Campaigns"]["list"]["template"] == "genericList"
    assert lists["Documents"]["list"]["template"] == "documentLibrary"
    libraries = get(f"/sites/{emea}/drives")["value"]
    assert [d["driveType"] for d in libraries] == ["documentLibrary"]
    assert get(f"/drives/{libraries[0]['id']}/root")["folder"]["childCount"] == 0
    items = get(f"/sites/{emea}/lists/{lists['Campaigns']['id']}/items?expand=fields")["value"]
    assert [i["fields"]["Title"] for i in items] == ["Spring"]
    assert "fields" not in get(f"/sites/{emea}/lists/{lists['Campaigns']['id']}/items")["value"][0]
    pages = get(f"/sites/{marketing[0]['id']}/pages")["value"]
    assert [(p["@odata.type"], p["name"], p["title"]) for p in pages] == [
        ("#microsoft.graph.sitePage", "Launch.aspx", "Launch")]
    assert get(f"/sites/{marketing[0]['id']}/pages/{pages[0]['id']}/microsoft.graph.sitePage")["id"] == pages[0]["id"]


def test_list_items_delta_with_changes_deletions_and_resync(graph: dict[str, Any]) -> None:
    control, get = graph["control"], graph["get"]
    first = [control.seed("ms", TENANT, ANN, "listitem", "ops/Tickets", json.dumps({"Title": f"T{n}"}).encode())
             for n in range(3)]
    site = get("/sites?search=ops")["value"][0]["id"]
    rows, link = rounds(get, f"/sites/{site}/lists/Tickets/items/delta?expand=fields")
    assert sorted(r["fields"]["Title"] for r in rows) == ["T0", "T1", "T2"]
    control.remove("ms", TENANT, ANN, "listitem", first[0]["path"])
    added = control.seed("ms", TENANT, ANN, "listitem", "ops/Tickets", json.dumps({"Title": "T3"}).encode())
    changes, link = rounds(get, link)
    assert [(r["id"], "deleted" in r) for r in changes] == [(first[0]["id"], True), (added["id"], False)]
    control.ms_invalidate_delta(TENANT, "listitem", path="ops/Tickets", code="resyncRequired")
    assert get(link, status=410)["error"]["code"] == "resyncRequired"


def test_teams_channels_messages_replies_and_delta(graph: dict[str, Any]) -> None:
    control, get, http, auth = graph["control"], graph["get"], graph["http"], graph["auth"]
    root = control.seed("ms", TENANT, ANN, "channelmessage", "Sales/General", b"<p>Kick-off</p>")
    control.seed("ms", TENANT, BOB, "channelmessage", "Sales/Deals", b"<p>secret</p>", {"membershipType": "private"})
    teams = get("/groups?$filter=resourceProvisioningOptions/Any(x:x eq 'Team')")["value"]
    assert [(t["displayName"], t["resourceProvisioningOptions"]) for t in teams] == [("Sales", ["Team"])]
    team = teams[0]["id"]
    assert get(f"/teams/{team}")["displayName"] == "Sales"
    channels = {c["displayName"]: c for c in get(f"/teams/{team}/channels")["value"]}
    assert {n: c["membershipType"] for n, c in channels.items()} == {"General": "standard", "Deals": "private"}
    general = channels["General"]["id"]
    base = f"/teams/{team}/channels/{general}"
    rows, link = rounds(get, base + "/messages/delta")
    assert [(r["id"], r["body"]["content"]) for r in rows] == [(root["id"], "<p>Kick-off</p>")]
    reply = control.seed("ms", TENANT, BOB, "channelmessage", "Sales/General", b"<p>Agreed</p>",
                         {"replyTo": root["id"]})
    changes, link = rounds(get, link)
    assert [r["id"] for r in changes] == [root["id"]]  # a new reply brings its thread back
    replies = get(f"{base}/messages/{root['id']}/replies")["value"]
    assert [(r["id"], r["replyToId"], r["from"]["user"]["displayName"]) for r in replies] == [
        (reply["id"], root["id"], "bob")]
    control.remove("ms", TENANT, ANN, "channelmessage", root["path"])
    deleted, _ = rounds(get, link)
    assert deleted[0]["id"] == root["id"] and deleted[0]["deletedDateTime"] and deleted[0]["body"]["content"] == ""
    folder = get(f"{base}/filesFolder")
    assert folder["name"] == "General" and folder["parentReference"]["driveType"] == "documentLibrary"
    posted = http.post(f"/v1.0{base}/messages", headers=auth,
                       json={"body": {"contentType": "html", "content": "<p>restored</p>"}})
    assert posted.status_code == 201 and posted.json()["channelIdentity"] == {"teamId": team, "channelId": general}


def test_chats_and_group_calendar(graph: dict[str, Any]) -> None:
    control, get = graph["control"], graph["get"]
    control.seed("ms", TENANT, ANN, "chatmessage", "Lunch", b"Pizza?", {"members": [BOB]})
    control.seed("ms", TENANT, BOB, "chatmessage", "Lunch", b"Yes!")
    chats = get(f"/users/{BOB}/chats")["value"]
    assert [(c["topic"], c["chatType"]) for c in chats] == [("Lunch", "group")]
    messages = get(f"/chats/{chats[0]['id']}/messages?$top=1")
    assert messages["value"][0]["body"]["content"] == "Yes!" and "@odata.nextLink" in messages
    assert get(messages["@odata.nextLink"])["value"][0]["chatId"] == chats[0]["id"]
    since = messages["value"][0]["lastModifiedDateTime"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", since)
    time.sleep(0.01)
    control.seed("ms", TENANT, ANN, "chatmessage", "Lunch", b"Booked.")
    newer = get(f"/chats/{chats[0]['id']}/messages?$orderby=lastModifiedDateTime desc"
                f"&$filter=lastModifiedDateTime gt {since}")["value"]
    assert [m["body"]["content"] for m in newer] == ["Booked."]
    control.seed("ms", TENANT, ANN, "channelmessage", "Ops/General", b"x")
    team = get("/groups")["value"][0]["id"]
    assert get(f"/groups/{team}/events")["value"] == []
    offsite = control.seed("ms", TENANT, ANN, "event", "groups/Ops", ICS)
    events = get(f"/groups/{team}/events")["value"]
    assert [(e["id"], e["subject"], e["type"]) for e in events] == [(offsite["id"], "Standup", "seriesMaster")]
    assert [r["path"] for r in control.items("ms", TENANT, "event")] == [f"groups/Ops/{offsite['id']}"]
    control.remove("ms", TENANT, ANN, "event", offsite["path"])
    assert get(f"/groups/{team}/events")["value"] == []


def test_calendar_contacts_and_todo_deltas(graph: dict[str, Any]) -> None:
    control, get = graph["control"], graph["get"]
    standup = control.seed("ms", TENANT, ANN, "event", "Calendar", ICS,
                           {"attachments": [{"name": "agenda.txt", "content_b64": base64.b64encode(b"1. news").decode(),
                                             "contentType": "text/plain"}]})
    control.seed("ms", TENANT, ANN, "event", "Calendar", ICS_LATER)
    assert get(f"/users/{ANN}/calendarView/delta", status=400)["error"]["code"] == "ErrorInvalidParameter"
    events, link = rounds(get, f"/users/{ANN}/calendarView/delta?{WINDOW}")
    assert [e["subject"] for e in events] == ["Standup"]  # the March review is outside the window
    event = events[0]
    assert event["type"] == "seriesMaster" and event["recurrence"]["pattern"]["daysOfWeek"] == ["monday", "wednesday"]
    assert event["recurrence"]["range"] == {"type": "numbered", "startDate": "2026-01-05", "endDate": "0001-01-01",
                                            "recurrenceTimeZone": "UTC", "numberOfOccurrences": 10}
    attachments = get(f"/users/{ANN}/events/{standup['id']}/attachments")["value"]
    assert [(a["name"], base64.b64decode(a["contentBytes"])) for a in attachments] == [("agenda.txt", b"1. news")]
    control.remove("ms", TENANT, ANN, "event", standup["path"])
    removed, _ = rounds(get, link)
    assert removed == [{"@odata.type": "#microsoft.graph.event", "id": standup["id"], "@removed": {"reason": "deleted"}}]

    kim = control.seed("ms", TENANT, ANN, "contact", "Contacts", VCF)
    contacts, link = rounds(get, f"/users/{ANN}/contacts/delta")
    assert [(c["displayName"], c["emailAddresses"][0]["address"], c["companyName"]) for c in contacts] == [
        ("Kim Lee", "kim@example.org", "Fabrikam")]
    folder = get(f"/users/{ANN}/contactFolders")["value"][0]["id"]
    assert rounds(get, f"/users/{ANN}/contactFolders/{folder}/contacts/delta")[0][0]["id"] == kim["id"]
    control.ms_invalidate_delta(TENANT, "contact", ANN)
    assert get(link, status=410)["error"]["code"] == "SyncStateNotFound"

    tasks = [control.seed("ms", TENANT, ANN, "task", "Tasks", json.dumps({"title": f"t{n}"}).encode())
             for n in range(3)]
    lists = get(f"/users/{ANN}/todo/lists")["value"]
    assert [(x["displayName"], x["wellknownListName"]) for x in lists] == [("Tasks", "defaultList")]
    headers = {**graph["auth"], "Prefer": "odata.maxpagesize=2"}
    page = graph["http"].get(f"/v1.0/users/{ANN}/todo/lists/{lists[0]['id']}/tasks/delta", headers=headers).json()
    assert len(page["value"]) == 2 and "$skiptoken=" in page["@odata.nextLink"]
    rest, link = rounds(get, page["@odata.nextLink"])
    assert [t["title"] for t in page["value"] + rest] == ["t0", "t1", "t2"] and "$deltatoken=" in link
    control.remove("ms", TENANT, ANN, "task", tasks[1]["path"])
    assert [t["id"] for t in rounds(get, link)[0]] == [tasks[1]["id"]]
    control.seed("ms", TENANT, ANN, "file", "/f.txt", b"f")
    drive_link = rounds(get, f"/users/{ANN}/drive/root/delta")[1]
    control.call("ms/invalidate_all_deltas", tenant=TENANT, user=ANN, code="resyncRequired")
    assert get(link, status=410)["error"]["code"] == "resyncRequired"
    assert get(drive_link, status=410)["error"]["code"] == "resyncRequired"


def test_throttling_and_roles_on_new_endpoints(graph: dict[str, Any]) -> None:
    control, http, auth = graph["control"], graph["http"], graph["auth"]
    control.seed("ms", TENANT, ANN, "task", "Tasks", json.dumps({"title": "x"}).encode())
    control.throttle(f"/v1.0/users/{ANN}/todo", 2, retry_after=2)
    answers = [http.get(f"/v1.0/users/{ANN}/todo/lists", headers=auth) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "2" and answers[0].json()["error"]["code"] == "TooManyRequests"
    control.ms_app(TENANT, "files", "pw", ["Files.Read.All"])
    other = http.post(f"/{TENANT}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": "files", "client_secret": "pw",
        "scope": "https://graph.microsoft.com/.default"}).json()["access_token"]
    weak = {"Authorization": f"Bearer {other}"}
    expected = {f"/v1.0/users/{ANN}/todo/lists": "ErrorAccessDenied", f"/v1.0/users/{ANN}/events": "ErrorAccessDenied",
                f"/v1.0/users/{ANN}/chats": "Forbidden", "/v1.0/sites/root": "accessDenied", "/v1.0/groups": "Forbidden"}
    for url, code in expected.items():
        denied = http.get(url, headers=weak)
        assert (denied.status_code, denied.json()["error"]["code"]) == (403, code), url


def test_restore_creates_items_byte_identical_mail(graph: dict[str, Any]) -> None:
    http, auth, control = graph["http"], graph["auth"], graph["control"]
    control.seed("ms", TENANT, BOB, "mail", "Inbox", generated_message(1, "x"))
    mime = generated_message(42, "restore")
    created = http.post(f"/v1.0/users/{BOB}/messages", content=base64.b64encode(mime),
                        headers={**auth, "Content-Type": "text/plain"})
    assert created.status_code == 201 and created.json()["subject"] == "restore message 42"
    moved = http.post(f"/v1.0/users/{BOB}/messages/{created.json()['id']}/move", json={"destinationId": "inbox"},
                      headers=auth)
    assert moved.status_code == 201
    assert http.get(f"/v1.0/users/{BOB}/messages/{moved.json()['id']}/$value", headers=auth).content == mime
    assert hashlib.sha256(mime).hexdigest() in {r["sha256"] for r in control.items("ms", TENANT, "mail", BOB)}
    bad = http.post(f"/v1.0/users/{BOB}/messages", content=b"not base64!", headers={**auth, "Content-Type": "text/plain"})
    assert bad.json()["error"]["code"] == "ErrorMimeContentInvalidBase64String"
    event = http.post(f"/v1.0/users/{BOB}/calendar/events", headers=auth, json={
        "subject": "Restored", "start": {"dateTime": "2026-01-07T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2026-01-07T11:00:00", "timeZone": "UTC"}})
    contact = http.post(f"/v1.0/users/{BOB}/contacts", headers=auth, json={"displayName": "Kim"})
    lists = http.get(f"/v1.0/users/{BOB}/todo/lists", headers=auth).json()["value"]
    task = http.post(f"/v1.0/users/{BOB}/todo/lists/{lists[0]['id']}/tasks", headers=auth, json={"title": "Again"})
    assert (event.status_code, contact.status_code, task.status_code) == (201, 201, 201)
    assert [len(control.items("ms", TENANT, kind, BOB)) for kind in ("event", "contact", "task")] == [1, 1, 1]


def test_demo_tenant_has_every_workload() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "fakecloud", "--port", "0", "--demo"], stdout=subprocess.PIPE,
                               text=True, env=env, cwd=ROOT)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        with httpx.Client(base_url=url, timeout=10) as http:
            answer = http.post(f"/{DEMO_TENANT}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
                "scope": "https://graph.microsoft.com/.default"})
            auth = {"Authorization": "Bearer " + answer.json()["access_token"]}

            def get(path: str) -> Any:
                return http.get("/v1.0" + path, headers=auth).json()

            adele = "adele@contoso.onmicrosoft.com"
            files = get(f"/users/{adele}/drive/root:/Documents:/children")["value"]
            assert sorted(f["name"] for f in files) == ["Reports", "welcome.txt"]
            marketing = get("/sites?search=marketing")["value"][0]
            assert [s["name"] for s in get(f"/sites/{marketing['id']}/sites")["value"]] == ["emea"]
            tasks = get(f"/sites/{marketing['id']}/lists/Campaign tasks/items?expand=fields")["value"]
            assert sorted(t["fields"]["Title"] for t in tasks) == ["Book venue", "Print flyers"]
            team = get("/groups")["value"][0]
            channels = get(f"/teams/{team['id']}/channels")["value"]
            assert sorted((c["displayName"], c["membershipType"]) for c in channels) == [
                ("Design", "private"), ("General", "standard")]
            assert len(get(f"/users/{adele}/chats")["value"]) == 1
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_mailbox_concurrency_limit_covers_calendars(cloud: FakeCloudProcess, graph: dict[str, Any]) -> None:
    control = graph["control"]
    control.seed("ms", TENANT, ANN, "event", "Calendar", ICS)
    control.call("ms/concurrency", limit=1)
    control.call("faults/latency", prefix=f"/v1.0/users/{ANN}/calendars", seconds=0.5)
    statuses: list[int] = []
    start = threading.Barrier(3)

    def get() -> None:
        start.wait()
        statuses.append(httpx.get(f"{cloud.base_url}/v1.0/users/{ANN}/calendars", headers=graph["auth"]).status_code)

    threads = [threading.Thread(target=get) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 429, 429]
    assert control.stats()["max_in_flight"][f"graph:{graph['get'](f'/users/{ANN}')['id']}"] >= 2
