"""fakecloud protocol behaviour over raw HTTP: auth failures, paging, delta, invalidation, throttling."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fakecloud.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_GOOGLE_ADMIN, DEMO_TENANT
from fakecloud.google.keys import DWD_SCOPES, make_service_account
from fakecloud.testing import ROOT, FakeCloudProcess, generated_message, running_fakecloud
from kustos.sources.gmail import GmailConnector
from kustos.sources.graph import GraphMailConnector

TENANT = "t.onmicrosoft.com"


@pytest.fixture(scope="module")
def cloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture
def http(cloud: FakeCloudProcess) -> Iterator[httpx.Client]:
    cloud.control.call("reset")
    with httpx.Client(base_url=cloud.base_url, timeout=10) as client:
        yield client


def ms_token(http: httpx.Client, **override: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": "app", "client_secret": "pw",
            "scope": "https://graph.microsoft.com/.default", **override}
    return http.post(f"/{TENANT}/oauth2/v2.0/token", data=form)


@pytest.fixture
def mailbox(cloud: FakeCloudProcess, http: httpx.Client) -> dict[str, Any]:
    cloud.control.ms_app(TENANT, "app", "pw", ["User.Read.All", "Mail.Read"])
    user = cloud.control.ms_user(TENANT, "ann@t.onmicrosoft.com")
    ids = [cloud.control.ms_message(TENANT, user, "inbox", generated_message(n, "p")) for n in range(3)]
    auth = {"Authorization": "Bearer " + ms_token(http).json()["access_token"]}
    return {"user": user, "ids": ids, "auth": auth, "delta": f"/v1.0/users/{user}/mailFolders/inbox/messages/delta"}


@pytest.mark.parametrize(("override", "status", "error"), [
    ({"client_secret": "bad"}, 401, "invalid_client"),
    ({"client_id": "nobody"}, 400, "unauthorized_client"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"scope": "Mail.Read"}, 400, "invalid_scope"),
])
def test_identity_token_errors(cloud: FakeCloudProcess, http: httpx.Client, override: dict[str, str],
                               status: int, error: str) -> None:
    cloud.control.ms_app(TENANT, "app", "pw", [])
    answer = ms_token(http, **override)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert answer.json()["error_description"].startswith("AADSTS")


def test_graph_delta_round_trip(cloud: FakeCloudProcess, http: httpx.Client, mailbox: dict[str, Any]) -> None:
    auth, prefer = mailbox["auth"], {"Prefer": "odata.maxpagesize=2"}
    page1 = http.get(mailbox["delta"], headers={**mailbox["auth"], **prefer})
    assert page1.headers["Preference-Applied"] == "odata.maxpagesize=2"
    page2 = http.get(page1.json()["@odata.nextLink"], headers=auth).json()
    ids = [r["id"] for r in page1.json()["value"] + page2["value"]]
    assert sorted(ids) == sorted(mailbox["ids"])
    quiet = http.get(page2["@odata.deltaLink"], headers=auth).json()
    assert quiet["value"] == [] and "@odata.deltaLink" in quiet
    cloud.control.call("ms/mark_read", tenant=TENANT, user=mailbox["user"], message=ids[0])
    cloud.control.call("ms/delete", tenant=TENANT, user=mailbox["user"], message=ids[1])
    changes = http.get(quiet["@odata.deltaLink"], headers=auth).json()["value"]
    assert [(r["id"], "@removed" in r) for r in changes] == [(ids[0], False), (ids[1], True)]


def test_graph_invalidated_token_is_410(cloud: FakeCloudProcess, http: httpx.Client,
                                        mailbox: dict[str, Any]) -> None:
    link = http.get(mailbox["delta"], headers=mailbox["auth"]).json()["@odata.deltaLink"]
    cloud.control.call("ms/invalidate_delta", tenant=TENANT, user=mailbox["user"], folder="inbox")
    answer = http.get(link, headers=mailbox["auth"])
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "SyncStateNotFound"


def test_graph_auth_and_permissions(cloud: FakeCloudProcess, http: httpx.Client, mailbox: dict[str, Any]) -> None:
    assert http.get("/v1.0/users").json()["error"]["code"] == "InvalidAuthenticationToken"
    cloud.control.call("ms/token_lifetime", seconds=0)
    stale = {"Authorization": "Bearer " + ms_token(http).json()["access_token"]}
    time.sleep(0.05)
    expired = http.get("/v1.0/users", headers=stale)
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    cloud.control.call("ms/roles", tenant=TENANT, client_id="app", roles=["Mail.Read"])
    denied = http.get("/v1.0/users", headers=mailbox["auth"])
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "Authorization_RequestDenied")


def test_graph_users_paging_and_mailbox_less_user(cloud: FakeCloudProcess, http: httpx.Client,
                                                  mailbox: dict[str, Any]) -> None:
    room = cloud.control.ms_user(TENANT, "room@t.onmicrosoft.com", mailbox=False)
    page = http.get("/v1.0/users?$top=1", headers=mailbox["auth"]).json()
    rest = http.get(page["@odata.nextLink"], headers=mailbox["auth"]).json()
    assert len(page["value"]) == 1 and len(rest["value"]) == 1 and "@odata.nextLink" not in rest
    gone = http.get(f"/v1.0/users/{room}/mailFolders", headers=mailbox["auth"])
    assert gone.json()["error"]["code"] == "MailboxNotEnabledForRESTAPI"


def test_graph_mailbox_concurrency_limit(cloud: FakeCloudProcess, http: httpx.Client,
                                         mailbox: dict[str, Any]) -> None:
    cloud.control.call("ms/concurrency", limit=1)
    cloud.control.call("faults/latency", prefix="/v1.0/users/", seconds=0.5)
    statuses: list[int] = []
    url = f"{cloud.base_url}/v1.0/users/{mailbox['user']}/mailFolders"
    start = threading.Barrier(3)

    def get() -> None:
        start.wait()
        statuses.append(httpx.get(url, headers=mailbox["auth"]).status_code)

    threads = [threading.Thread(target=get) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 429, 429]


def test_throttle_injection_shapes(cloud: FakeCloudProcess, http: httpx.Client, mailbox: dict[str, Any]) -> None:
    cloud.control.throttle("/v1.0/", 1, retry_after=7)
    cloud.control.throttle("/gmail/", 1, retry_after=3, status=429)
    graph = http.get("/v1.0/users", headers=mailbox["auth"])
    assert (graph.status_code, graph.headers["Retry-After"], graph.json()["error"]["code"]) == (
        429, "7", "TooManyRequests")
    gmail = http.get("/gmail/v1/users/me/profile")
    assert gmail.headers["Retry-After"] == "3"
    assert gmail.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"


def _jwt(key: rsa.RSAPrivateKey, claims: dict[str, Any]) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    signing_input = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64(signature)


@pytest.fixture
def google(cloud: FakeCloudProcess) -> dict[str, Any]:
    info, public_pem = make_service_account(cloud.base_url)
    cloud.control.call("google/service_account", client_email=info["client_email"], client_id=info["client_id"],
                       public_key_pem=public_pem, scopes=DWD_SCOPES)
    cloud.control.google_user("boss@example.com", is_admin=True)
    key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return {"info": info, "key": key}


def _claims(info: dict[str, Any], **override: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": info["client_email"], "sub": "boss@example.com", "scope": DWD_SCOPES[0],
            "aud": info["token_uri"], "iat": now, "exp": now + 3600, **override}


def _google_token(http: httpx.Client, assertion: str) -> httpx.Response:
    return http.post("/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                     "assertion": assertion})


def test_google_jwt_is_verified(http: httpx.Client, google: dict[str, Any]) -> None:
    info, key = google["info"], google["key"]
    ok = _google_token(http, _jwt(key, _claims(info)))
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    forged = _google_token(http, _jwt(stranger, _claims(info)))
    assert (forged.status_code, forged.json()["error_description"]) == (400, "Invalid JWT Signature.")
    old = _google_token(http, _jwt(key, _claims(info, iat=1_000_000, exp=1_003_600)))
    assert old.json()["error"] == "invalid_grant"
    scope = _google_token(http, _jwt(key, _claims(info, scope="https://mail.google.com/")))
    assert (scope.status_code, scope.json()["error"]) == (401, "unauthorized_client")


def test_gmail_listing_history_and_expiry(cloud: FakeCloudProcess, http: httpx.Client,
                                          google: dict[str, Any]) -> None:
    control, user = cloud.control, "boss@example.com"
    ids = [control.google_message(user, generated_message(n, "h"), labels)
           for n, labels in enumerate([["INBOX"], ["SPAM"], ["TRASH"], ["SENT"]])]
    token = _google_token(http, _jwt(google["key"], _claims(google["info"]))).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    plain = http.get(f"/gmail/v1/users/{user}/messages", headers=auth).json()
    everything = http.get("/gmail/v1/users/me/messages?includeSpamTrash=true&maxResults=3", headers=auth).json()
    assert {m["id"] for m in plain["messages"]} == {ids[0], ids[3]}
    assert len(everything["messages"]) == 3 and everything["nextPageToken"]
    start = http.get(f"/gmail/v1/users/{user}/profile", headers=auth).json()["historyId"]
    control.call("google/delete", user=user, message=ids[0])
    history = http.get(f"/gmail/v1/users/{user}/history?startHistoryId={start}", headers=auth).json()
    assert [r["messagesDeleted"][0]["message"]["id"] for r in history["history"]] == [ids[0]]
    control.call("google/expire_history", user=user)
    expired = http.get(f"/gmail/v1/users/{user}/history?startHistoryId={start}", headers=auth)
    assert expired.status_code == 404 and expired.json()["error"]["status"] == "NOT_FOUND"
    other = http.get("/gmail/v1/users/someone@example.com/profile", headers=auth)
    assert other.status_code == 403


def test_demo_mode_serves_both_clouds(tmp_path: Path) -> None:
    key_file = tmp_path / "sa.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "fakecloud", "--port", "0", "--demo",
                                "--google-key-out", str(key_file)], stdout=subprocess.PIPE, text=True,
                               env=env, cwd=ROOT)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        graph = GraphMailConnector(DEMO_TENANT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, endpoint=url, login_endpoint=url)
        graph.check()
        assert [s.name for s in graph.scopes() if s.kind == "mailbox"] == ["adele@contoso.onmicrosoft.com",
                                                                          "megan@contoso.onmicrosoft.com"]
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
        gmail = GmailConnector(json.loads(key_file.read_text()), DEMO_GOOGLE_ADMIN, endpoint=url)
        gmail.check()
        kim = [s for s in gmail.scopes() if s.id == "kim@example.com"][0]
        assert sorted(i.folder for b in gmail.fetch(kim, None) for i in b.items) == ["INBOX", "Projects", "Sent"]
    finally:
        process.terminate()
        process.wait(timeout=10)
