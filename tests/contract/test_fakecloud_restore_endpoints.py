"""fakecloud's write endpoints that restores use, over real HTTP, checked against the v1.0 CSDL and the
docs examples: mail folders and child folders, the message ``flag`` (and ``PATCH`` of flag, categories,
read state), SharePoint lists (with columns),
list items and ``PATCH .../fields``, site pages (create checked out, publish), Teams channels and
channel messages with replies, ``PATCH /users/{id}/drive/items/{id}``; concurrency statistics for every
endpoint, not only mail."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakecloud.testing import FakeCloudProcess, generated_message, running_fakecloud
from tests.contract.test_fakecloud_schema import assert_graph_entity, csdl_types
from tests.contract.test_fakecloud_workloads_schema import check_deep, docs_example

pytestmark = pytest.mark.corpus

TENANT = "restore-ep.onmicrosoft.com"
ANN = "ann@restore-ep.onmicrosoft.com"


@pytest.fixture(scope="module")
def cloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture
def graph(cloud: FakeCloudProcess) -> Iterator[dict[str, Any]]:
    control = cloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    with httpx.Client(base_url=cloud.base_url + "/v1.0", timeout=10) as http:
        answer = httpx.post(f"{cloud.base_url}/{TENANT}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": settings["client_id"],
            "client_secret": settings["client_secret"], "scope": "https://graph.microsoft.com/.default"})
        http.headers["Authorization"] = "Bearer " + answer.json()["access_token"]
        yield {"http": http, "control": control}


@pytest.fixture(scope="module")
def types(corpus: Path) -> Any:
    return csdl_types(corpus / "api/msgraph/metadata/v1.0-Prod.csdl")


def ok(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def entity(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "@odata.context"}


def test_mail_folders_and_child_folders_are_created(graph: dict[str, Any], corpus: Path, types: Any) -> None:
    http, control = graph["http"], graph["control"]
    control.seed("ms", TENANT, ANN, "mail", "Inbox", generated_message(1, "f"), {"flag": {"flagStatus": "flagged"}})
    top = ok(http.post(f"/users/{ANN}/mailFolders", json={"displayName": "Archiv"}), 201)
    assert_graph_entity(entity(top), "mailFolder", types)
    documented = docs_example(corpus, "POST", "/me/mailFolders")
    assert documented["statusCode"] == 201 and set(documented["body"]) <= set(top)
    child = ok(http.post(f"/users/{ANN}/mailFolders/{top['id']}/childFolders", json={"displayName": "2026"}), 201)
    assert child["parentFolderId"] == top["id"] and child["displayName"] == "2026"
    assert set(docs_example(corpus, "POST", "/me/mailFolders/*/childFolders")["body"]) <= set(child)
    duplicate = http.post(f"/users/{ANN}/mailFolders/{top['id']}/childFolders", json={"displayName": "2026"})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "ErrorFolderExists"
    assert http.post(f"/users/{ANN}/mailFolders", json={}).status_code == 400
    assert http.post(f"/users/{ANN}/mailFolders/nope/childFolders", json={"displayName": "x"}).status_code == 404
    listed = ok(http.get(f"/users/{ANN}/mailFolders/{top['id']}/childFolders"), 200)["value"]
    assert [f["displayName"] for f in listed] == ["2026"]

    mime = generated_message(2, "f")
    ok(http.post(f"/users/{ANN}/mailFolders/{child['id']}/messages", content=base64.b64encode(mime),
                 headers={"Content-Type": "text/plain"}), 201)
    assert [r["path"].rpartition("/")[0] for r in control.items("ms", TENANT, "mail", ANN)] == ["Archiv/2026", "Inbox"]

    delta = ok(http.get(f"/users/{ANN}/mailFolders/inbox/messages/delta"), 200)
    inbox = delta["value"]
    assert [m["flag"] for m in inbox] == [{"flagStatus": "flagged"}]
    check_deep({k: v for k, v in inbox[0].items() if k != "@odata.context"}, "message", types)
    patched = http.patch(f"/users/{ANN}/messages/{inbox[0]['id']}",
                         json={"flag": {"flagStatus": "complete"}, "categories": ["Rot"], "isRead": True})
    assert patched.status_code == docs_example(corpus, "PATCH", "/me/messages/*")["statusCode"] == 200
    assert (patched.json()["flag"], patched.json()["categories"], patched.json()["isRead"]) == (
        {"flagStatus": "complete"}, ["Rot"], True)
    assert patched.json()["changeKey"] != inbox[0]["changeKey"]
    changed = ok(http.get(delta["@odata.deltaLink"]), 200)["value"]
    assert [m["id"] for m in changed] == [inbox[0]["id"]]
    assert http.patch(f"/users/{ANN}/messages/{inbox[0]['id']}", json={"flag": {"flagStatus": "odd"}}
                      ).status_code == 400


def test_lists_items_and_fields_are_written(graph: dict[str, Any], corpus: Path, types: Any) -> None:
    http, control = graph["http"], graph["control"]
    control.seed("ms", TENANT, ANN, "listitem", "proj/Issues", json.dumps({"Title": "Bug", "Priority": 2}).encode())
    site = next(s for s in ok(http.get("/sites?search=*"), 200)["value"] if s["name"] == "proj")
    created = ok(http.post(f"/sites/{site['id']}/lists", json={
        "displayName": "Kunden", "list": {"template": "genericList"},
        "columns": [{"name": "Stadt", "text": {}}, {"name": "Umsatz", "number": {}}]}), 201)
    assert_graph_entity(entity(created), "list", types)
    assert set(docs_example(corpus, "POST", "/sites/*/lists")["body"]) - {"createdBy", "lastModifiedBy"} <= \
        set(created)
    assert created["displayName"] == "Kunden" and created["list"]["template"] == "genericList"
    again = http.post(f"/sites/{site['id']}/lists", json={"displayName": "Kunden"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "nameAlreadyExists"
    no_type = http.post(f"/sites/{site['id']}/lists", json={"displayName": "X", "columns": [{"name": "A"}]})
    assert no_type.status_code == 400 and "no column type" in no_type.text
    got = ok(http.get(f"/sites/{site['id']}/lists/{created['id']}?expand=columns"), 200)
    assert [c["name"] for c in got["columns"]] == ["Title", "Stadt", "Umsatz"]
    for column in got["columns"]:
        check_deep(column, "columnDefinition", types)
    issues = ok(http.get(f"/sites/{site['id']}/lists/Issues?expand=columns"), 200)
    assert [c["name"] for c in issues["columns"]] == ["Title", "Priority"]  # seeding designs the list
    assert "number" in issues["columns"][1]

    item = ok(http.post(f"/sites/{site['id']}/lists/{created['id']}/items",
                        json={"fields": {"Title": "Contoso", "Stadt": "Bern", "Umsatz": 12}}), 201)
    assert_graph_entity(entity(item), "listItem", types)
    unknown = http.post(f"/sites/{site['id']}/lists/{created['id']}/items", json={"fields": {"Farbe": "rot"}})
    assert unknown.status_code == 400 and "Field 'Farbe' is not recognized" in unknown.text
    fields = ok(http.patch(f"/sites/{site['id']}/lists/{created['id']}/items/{item['id']}/fields",
                           json={"Stadt": "Basel"}), 200)
    assert docs_example(corpus, "PATCH", "/sites/*/lists/*/items/*/fields")["statusCode"] == 200
    assert fields["Stadt"] == "Basel" and fields["Title"] == "Contoso" and fields["Umsatz"] == 12
    assert http.patch(f"/sites/{site['id']}/lists/{created['id']}/items/99/fields", json={}).status_code == 404
    delta = ok(http.get(f"/sites/{site['id']}/lists/{created['id']}/items/delta?expand=fields"), 200)["value"]
    assert [r["fields"]["Stadt"] for r in delta] == ["Basel"] and delta[0]["eTag"].endswith(',2"')
    assert [r["path"] for r in control.items("ms", TENANT, "listitem")] == ["proj/Issues/1", "proj/Kunden/1"]


def test_pages_are_created_checked_out_and_published(graph: dict[str, Any], corpus: Path, types: Any) -> None:
    http, control = graph["http"], graph["control"]
    control.seed("ms", TENANT, ANN, "page", "proj/Home", json.dumps({"title": "Home"}).encode())
    site = next(s for s in ok(http.get("/sites?search=*"), 200)["value"] if s["name"] == "proj")
    canvas = {"horizontalSections": [{"layout": "oneColumn", "id": "1", "emphasis": "none", "columns": [
        {"id": "1", "width": 12, "webparts": [{"@odata.type": "#microsoft.graph.textWebPart",
                                               "innerHtml": "<p>Willkommen</p>"}]}]}]}
    page = ok(http.post(f"/sites/{site['id']}/pages", json={
        "@odata.type": "#microsoft.graph.sitePage", "name": "News.aspx", "title": "News", "pageLayout": "article",
        "canvasLayout": canvas}), 201)
    check_deep(entity(page), "sitePage", types)
    assert page["publishingState"]["level"] == docs_example(corpus, "POST", "/sites/*/pages")["body"][
        "publishingState"]["level"] == "checkout"
    url = f"/sites/{site['id']}/pages/{page['id']}/microsoft.graph.sitePage"
    assert http.post(url + "/publish").status_code == 204
    got = ok(http.get(url + "?$expand=canvasLayout"), 200)
    assert got["publishingState"]["level"] == "published" and got["canvasLayout"] == canvas
    changed = ok(http.patch(url, json={"title": "Neuigkeiten"}), 200)
    assert changed["title"] == "Neuigkeiten" and changed["publishingState"]["level"] == "checkout"
    assert http.post(f"/sites/{site['id']}/pages/{'0' * 8}-0000-0000-0000-{'0' * 12}/microsoft.graph.sitePage"
                     "/publish").status_code == 404


def test_channels_are_created_and_messages_posted(graph: dict[str, Any], corpus: Path, types: Any) -> None:
    http, control = graph["http"], graph["control"]
    control.seed("ms", TENANT, ANN, "channelmessage", "Sales/General", b"<p>hi</p>")
    team = ok(http.get("/groups"), 200)["value"][0]
    channel = ok(http.post(f"/teams/{team['id']}/channels", json={
        "displayName": "Wiederhergestellt", "description": "restored", "membershipType": "standard"}), 201)
    assert_graph_entity(entity(channel), "channel", types)
    assert set(docs_example(corpus, "POST", "/teams/*/channels")["body"]) <= set(channel)
    again = http.post(f"/teams/{team['id']}/channels", json={"displayName": "wiederhergestellt"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "NameAlreadyExists"
    assert http.post(f"/teams/{team['id']}/channels", json={"displayName": "x", "membershipType": "odd"}
                     ).status_code == 400
    base = f"/teams/{team['id']}/channels/{channel['id']}/messages"
    root = ok(http.post(base, json={"body": {"contentType": "html", "content": "<p>root</p>"}}), 201)
    reply = ok(http.post(f"{base}/{root['id']}/replies", json={"body": {"contentType": "html", "content": "re"}}),
               201)
    for row in (root, reply):
        check_deep(entity(row), "chatMessage", types)
    assert reply["replyToId"] == root["id"]
    paths = [r["path"] for r in control.items("ms", TENANT, "channelmessage")]
    assert f"Sales/Wiederhergestellt/{root['id']}/{reply['id']}" in paths


def test_drive_items_are_patched_through_the_user_drive(graph: dict[str, Any]) -> None:
    http, control = graph["http"], graph["control"]
    seeded = control.seed("ms", TENANT, ANN, "file", "/Docs/a.txt", b"alpha")
    renamed = ok(http.patch(f"/users/{ANN}/drive/items/{seeded['id']}", json={"name": "b.txt"}), 200)
    assert renamed["name"] == "b.txt"
    assert [r["path"] for r in control.items("ms", TENANT, "file", ANN)] == ["/Docs/b.txt"]


def test_concurrency_stats_count_every_endpoint(graph: dict[str, Any], cloud: FakeCloudProcess) -> None:
    http, control = graph["http"], graph["control"]
    control.seed("ms", TENANT, ANN, "listitem", "proj/Issues", json.dumps({"Title": "Bug"}).encode())
    control.seed("ms", TENANT, ANN, "channelmessage", "Sales/General", b"<p>hi</p>")
    site = next(s for s in ok(http.get("/sites?search=*"), 200)["value"] if s["name"] == "proj")
    team = ok(http.get("/groups"), 200)["value"][0]
    control.call("faults/latency", prefix="/v1.0/sites/", seconds=0.4)
    control.call("faults/latency", prefix="/v1.0/teams/", seconds=0.4)
    start = threading.Barrier(4)
    auth = dict(http.headers)

    def get(url: str) -> None:
        start.wait()
        assert httpx.get(f"{cloud.base_url}/v1.0{url}", headers=auth, timeout=10).status_code == 200

    threads = [threading.Thread(target=get, args=(url,)) for url in [
        f"/sites/{site['id']}/lists", f"/sites/{site['id']}/lists/Issues/items",
        f"/teams/{team['id']}/channels", f"/teams/{team['id']}/allChannels"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    peaks = control.stats()["max_in_flight"]
    assert peaks[f"graph:site:{site['id']}"] == 2 and peaks[f"graph:team:{team['id']}"] == 2
