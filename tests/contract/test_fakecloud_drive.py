"""fakecloud OneDrive / document libraries over real HTTP: delta, tags, download URLs, uploads, errors."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakecloud.microsoft.quickxor import QuickXorHash, quick_xor_hash
from fakecloud.testing import FakeCloudProcess, running_fakecloud

TENANT = "drv.onmicrosoft.com"
USER = "nina@drv.onmicrosoft.com"


@pytest.fixture(scope="module")
def cloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def token(http: httpx.Client, settings: dict[str, Any]) -> dict[str, str]:
    answer = http.post(f"/{settings['tenant_id']}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": settings["client_id"],
        "client_secret": settings["client_secret"], "scope": "https://graph.microsoft.com/.default"})
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


@pytest.fixture
def drive(cloud: FakeCloudProcess) -> Iterator[dict[str, Any]]:
    """A OneDrive with /A/{0..4}.txt and /B/sub/deep.bin, an all-roles token and the drive id."""
    control = cloud.control
    control.call("reset")
    settings = control.credentials("ms", TENANT)
    for n in range(5):
        control.seed("ms", TENANT, USER, "file", f"/A/{n}.txt", f"file {n}".encode())
    control.seed("ms", TENANT, USER, "file", "/B/sub/deep.bin", bytes(range(256)) * 4)
    with httpx.Client(base_url=cloud.base_url, timeout=10) as http:
        auth = token(http, settings)
        drive_id = http.get(f"/v1.0/users/{USER}/drive", headers=auth).json()["id"]
        yield {"http": http, "auth": auth, "id": drive_id, "settings": settings, "control": control}


def walk(http: httpx.Client, url: str, auth: dict[str, str], prefer: int | None = None) -> tuple[list[dict[str, Any]],
                                                                                                 str, int]:
    """Follow nextLinks to the deltaLink; returns (rows, deltaLink, pages)."""
    headers = {**auth, **({"Prefer": f"odata.maxpagesize={prefer}"} if prefer else {})}
    rows: list[dict[str, Any]] = []
    pages = 0
    while True:
        page = http.get(url, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        rows += body["value"]
        pages += 1
        if "@odata.deltaLink" in body:
            return rows, body["@odata.deltaLink"], pages
        url = body["@odata.nextLink"]


def test_delta_pages_then_reports_changes_and_deletions(drive: dict[str, Any]) -> None:
    http, auth, drive_id = drive["http"], drive["auth"], drive["id"]
    rows, link, pages = walk(http, f"/v1.0/drives/{drive_id}/root/delta", auth, prefer=3)
    names = sorted(r["name"] for r in rows)
    assert names == sorted(["root", "A", "0.txt", "1.txt", "2.txt", "3.txt", "4.txt", "B", "sub", "deep.bin"])
    assert pages == 4 and "token=" in link
    assert all("deleted" not in r for r in rows)
    by_name = {r["name"]: r for r in rows}
    assert "root" in by_name["root"] and by_name["A"]["folder"]["childCount"] == 5
    assert by_name["deep.bin"]["file"]["hashes"]["quickXorHash"] == quick_xor_hash(bytes(range(256)) * 4)
    quiet, link, _ = walk(http, link, auth)
    assert quiet == []

    item0, item1 = by_name["0.txt"], by_name["1.txt"]
    put = http.put(f"/v1.0/drives/{drive_id}/items/{item0['id']}/content", content=b"changed", headers=auth)
    renamed = http.patch(f"/v1.0/drives/{drive_id}/items/{item1['id']}", json={"name": "one.txt"}, headers=auth)
    drive["control"].remove("ms", TENANT, USER, "file", "/A/2.txt")
    changes, link, _ = walk(http, link, auth)
    assert [(r["id"], "deleted" in r) for r in changes] == [(item0["id"], False), (item1["id"], False),
                                                            (by_name["2.txt"]["id"], True)]
    content_change, metadata_change, deletion = changes
    assert content_change["eTag"] != item0["eTag"] and content_change["cTag"] != item0["cTag"]
    assert put.json()["size"] == len(b"changed")
    assert metadata_change["name"] == "one.txt" == renamed.json()["name"]
    assert metadata_change["eTag"] != item1["eTag"] and metadata_change["cTag"] == item1["cTag"]
    assert deletion["deleted"] == {"state": "deleted"}
    assert walk(http, link, auth)[0] == []


def test_token_latest_skips_existing_items(drive: dict[str, Any]) -> None:
    http, auth, drive_id = drive["http"], drive["auth"], drive["id"]
    latest = http.get(f"/v1.0/users/{USER}/drive/root/delta?token=latest", headers=auth).json()
    assert latest["value"] == [] and "@odata.deltaLink" in latest
    drive["control"].seed("ms", TENANT, USER, "file", "/A/new.txt", b"new")
    rows, _, _ = walk(http, latest["@odata.deltaLink"], auth)
    assert [r["name"] for r in rows] == ["new.txt"]
    assert http.get(f"/v1.0/drives/{drive_id}/root/delta?token=garbage", headers=auth).status_code == 400


def test_download_url_is_preauthenticated_and_expires(drive: dict[str, Any]) -> None:
    http, auth, drive_id = drive["http"], drive["auth"], drive["id"]
    lifetime = 3.0  # long enough for the three fetches below on a loaded machine
    drive["control"].ms_download_url_lifetime(lifetime)
    issued = time.monotonic()
    item = http.get(f"/v1.0/drives/{drive_id}/root:/B/sub/deep.bin:", headers=auth).json()
    url = item["@microsoft.graph.downloadUrl"]
    fresh = httpx.get(url)  # no Authorization header: the URL itself authorizes
    assert fresh.status_code == 200 and fresh.content == bytes(range(256)) * 4
    part = httpx.get(url, headers={"Range": "bytes=1000-"})  # resuming an interrupted download
    assert (part.status_code, part.headers["Content-Range"], part.content) == (206, "bytes 1000-1023/1024",
                                                                                fresh.content[1000:])
    redirect = http.get(f"/v1.0/drives/{drive_id}/items/{item['id']}/content", headers=auth)
    assert redirect.status_code == 302 and httpx.get(redirect.headers["Location"]).content == fresh.content
    time.sleep(max(0.0, issued + lifetime + 0.2 - time.monotonic()))
    expired = httpx.get(url)
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "unauthenticated"
    again = http.get(f"/v1.0/drives/{drive_id}/items/{item['id']}", headers=auth).json()
    assert again["@microsoft.graph.downloadUrl"] != url  # fetching the item again gives a fresh URL
    assert httpx.get(again["@microsoft.graph.downloadUrl"]).content == fresh.content


def test_upload_session_in_ranges(drive: dict[str, Any]) -> None:
    http, auth, drive_id = drive["http"], drive["auth"], drive["id"]
    folder = http.get(f"/v1.0/drives/{drive_id}/root:/A:", headers=auth).json()
    data = bytes(n % 251 for n in range(700_001))
    session = http.post(f"/v1.0/drives/{drive_id}/items/{folder['id']}:/big.bin:/createUploadSession",
                        json={"item": {"@microsoft.graph.conflictBehavior": "fail"}}, headers=auth)
    assert session.status_code == 200 and session.json()["nextExpectedRanges"] == ["0-"]
    url = session.json()["uploadUrl"]
    with_auth = httpx.put(url, content=data[:10], headers={**auth, "Content-Range": f"bytes 0-9/{len(data)}"})
    assert with_auth.status_code == 401
    odd = httpx.put(url, content=data[:1000], headers={"Content-Range": f"bytes 0-999/{len(data)}"})
    assert odd.status_code == 400 and "320 KiB" in odd.json()["error"]["message"]
    cuts = [0, 327_680, 655_360, len(data)]
    answers = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        answers.append(httpx.put(url, content=data[start:end],
                                 headers={"Content-Range": f"bytes {start}-{end - 1}/{len(data)}"}))
        if start == 327_680:
            replay = httpx.put(url, content=data[:10], headers={"Content-Range": f"bytes 0-9/{len(data)}"})
            assert replay.status_code == 416 and replay.json()["error"]["code"] == "invalidRange"
    assert [a.status_code for a in answers] == [202, 202, 201]
    assert answers[0].json()["nextExpectedRanges"] == ["327680-"]
    created = answers[-1].json()
    assert created["name"] == "big.bin" and created["size"] == len(data)
    assert created["file"]["hashes"]["quickXorHash"] == quick_xor_hash(data)
    assert httpx.get(created["@microsoft.graph.downloadUrl"]).content == data
    stored = {r["path"]: r for r in drive["control"].items("ms", TENANT, "file", USER)}
    assert stored["/A/big.bin"]["sha256"] == hashlib.sha256(data).hexdigest()
    conflict = http.post(f"/v1.0/drives/{drive_id}/items/{folder['id']}:/big.bin:/createUploadSession",
                         json={"item": {"@microsoft.graph.conflictBehavior": "fail"}}, headers=auth)
    assert (conflict.status_code, conflict.json()["error"]["code"]) == (409, "nameAlreadyExists")


def test_small_upload_and_folder_conflict_behaviour(drive: dict[str, Any]) -> None:
    http, auth, drive_id = drive["http"], drive["auth"], drive["id"]
    root = http.get(f"/v1.0/drives/{drive_id}/root", headers=auth).json()
    base = f"/v1.0/drives/{drive_id}/items/{root['id']}:/notes.txt:/content"
    first = http.put(base, content=b"v1", headers=auth)
    replaced = http.put(base, content=b"v2", headers=auth)
    failed = http.put(base + "?@microsoft.graph.conflictBehavior=fail", content=b"v3", headers=auth)
    renamed = http.put(base + "?@microsoft.graph.conflictBehavior=rename", content=b"v4", headers=auth)
    assert [first.status_code, replaced.status_code, failed.status_code, renamed.status_code] == [201, 200, 409, 201]
    assert replaced.json()["id"] == first.json()["id"] and replaced.json()["cTag"] != first.json()["cTag"]
    assert failed.json()["error"]["code"] == "nameAlreadyExists"
    assert renamed.json()["name"] == "notes 1.txt"
    made = http.post(f"/v1.0/drives/{drive_id}/root/children", json={"name": "New", "folder": {}}, headers=auth)
    again = http.post(f"/v1.0/drives/{drive_id}/root/children", json={"name": "New", "folder": {}}, headers=auth)
    other = http.post(f"/v1.0/drives/{drive_id}/root/children", headers=auth,
                      json={"name": "New", "folder": {}, "@microsoft.graph.conflictBehavior": "rename"})
    kept = http.post(f"/v1.0/drives/{drive_id}/root/children", headers=auth,
                     json={"name": "A", "folder": {}, "@microsoft.graph.conflictBehavior": "replace"})
    assert kept.status_code == 200 and kept.json()["folder"]["childCount"] == 5  # replace keeps a folder as is
    assert (made.status_code, again.status_code, other.status_code) == (201, 409, 201)
    assert made.json()["folder"] == {"childCount": 0} and other.json()["name"] == "New 1"
    listing = http.get(f"/v1.0/drives/{drive_id}/root/children?$top=2", headers=auth).json()
    rest = http.get(listing["@odata.nextLink"], headers=auth).json()
    names = [r["name"] for r in listing["value"] + rest["value"]]
    while "@odata.nextLink" in rest:
        rest = http.get(rest["@odata.nextLink"], headers=auth).json()
        names += [r["name"] for r in rest["value"]]
    assert sorted(names) == sorted(["A", "B", "New", "New 1", "notes.txt", "notes 1.txt"])
    perms = http.get(f"/v1.0/drives/{drive_id}/items/{first.json()['id']}/permissions", headers=auth).json()
    assert [p["roles"] for p in perms["value"]] == [["owner"]]


def test_delta_resync_and_throttling(drive: dict[str, Any]) -> None:
    http, auth, drive_id = drive["http"], drive["auth"], drive["id"]
    _, link, _ = walk(http, f"/v1.0/drives/{drive_id}/root/delta", auth)
    drive["control"].ms_invalidate_delta(TENANT, "file", USER, code="resyncRequired")
    gone = http.get(link, headers=auth)
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "resyncRequired")
    restart, _, _ = walk(http, gone.headers["Location"], auth)
    assert len(restart) == 10
    drive["control"].throttle(f"/v1.0/drives/{drive_id}/root/delta", 1, retry_after=4)
    throttled = http.get(f"/v1.0/drives/{drive_id}/root/delta", headers=auth)
    assert (throttled.status_code, throttled.headers["Retry-After"], throttled.json()["error"]["code"]) == (
        429, "4", "TooManyRequests")
    assert http.get(f"/v1.0/drives/{drive_id}/root/delta", headers=auth).status_code == 200


def test_app_roles_are_enforced(drive: dict[str, Any]) -> None:
    http, drive_id, control = drive["http"], drive["id"], drive["control"]
    control.ms_app(TENANT, "mail-only", "pw", ["Mail.Read"])
    control.ms_app(TENANT, "reader", "pw", ["Files.Read.All"])
    mail_only = token(http, {"tenant_id": TENANT, "client_id": "mail-only", "client_secret": "pw"})
    reader = token(http, {"tenant_id": TENANT, "client_id": "reader", "client_secret": "pw"})
    denied = http.get(f"/v1.0/drives/{drive_id}/root", headers=mail_only)
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "accessDenied")
    assert set(denied.json()["error"]) == {"code", "message", "innerError"}
    assert http.get(f"/v1.0/drives/{drive_id}/root", headers=reader).status_code == 200
    write = http.put(f"/v1.0/drives/{drive_id}/root:/x.txt:/content", content=b"x", headers=reader)
    assert write.status_code == 403
    assert http.get(f"/v1.0/drives/{drive_id}/root").json()["error"]["code"] == "InvalidAuthenticationToken"


def test_synthetic_large_file_is_streamed_and_hashed(drive: dict[str, Any]) -> None:
    """A file seeded by size is generated on demand: the emulator never holds it whole."""
    http, auth, drive_id, control = drive["http"], drive["auth"], drive["id"], drive["control"]
    size = 5 * 1024 * 1024 + 123
    control.seed("ms", TENANT, USER, "file", "/big/synthetic.bin", b"", {"size": size, "seed": "s1"})
    item = http.get(f"/v1.0/drives/{drive_id}/root:/big/synthetic.bin:", headers=auth).json()
    sha, qxh, received = hashlib.sha256(), QuickXorHash(), 0
    with httpx.stream("GET", item["@microsoft.graph.downloadUrl"]) as answer:
        assert answer.headers["Content-Length"] == str(size)
        for piece in answer.iter_bytes():
            sha.update(piece)
            qxh.update(piece)
            received += len(piece)
    stored = {r["path"]: r for r in control.items("ms", TENANT, "file", USER)}["/big/synthetic.bin"]
    assert (received, item["size"], stored["size"]) == (size, size, size)
    assert stored["sha256"] == sha.hexdigest() and item["file"]["hashes"]["quickXorHash"] == qxh.b64digest()
    tail = httpx.get(item["@microsoft.graph.downloadUrl"], headers={"Range": f"bytes={size - 200}-"})
    assert tail.status_code == 206 and len(tail.content) == 200
    other = control.seed("ms", TENANT, USER, "file", "/big/other.bin", b"", {"size": size, "seed": "s2"})
    assert {r["path"]: r for r in control.items("ms", TENANT, "file", USER)}[other["path"]]["sha256"] != sha.hexdigest()
