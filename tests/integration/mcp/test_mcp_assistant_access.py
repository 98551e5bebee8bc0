"""`kustos mcp`: the official MCP SDK client against a real `kustos mcp` subprocess (stdio and streamable
HTTP) on a test archive built in the subprocess's own home. Each user sees exactly what the archive's
access rules give it; a foreign message is "not found"; a bad token is refused; every call is audited."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2  # the HTTP client of the SDK's streamable HTTP transport
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.servers.tls import free_port

REPO = Path(__file__).resolve().parents[3]
TOOLS = {"search_messages", "get_message", "get_attachment_text", "list_mailboxes"}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[dict, dict]:
    env = _env(tmp_path_factory.mktemp("mcp"))
    proc = subprocess.run([sys.executable, "-m", "tests.integration.mcp.make_world"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("WORLD "))
    return json.loads(line[len("WORLD "):]), env


def _env(tmp: Path) -> dict:
    """The environment of ``cli_env`` (tests/conftest.py) for a module-wide home."""
    env = {**os.environ, "KUSTOS_HOME": str(tmp / "home")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONPATH"] = str(REPO)
    url = os.environ.get("KUSTOS_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg  # noqa: PLC0415  (only needed on the PostgreSQL matrix)

        name = "kustos_mcp_" + os.urandom(6).hex()
        base, _, _ = url.rpartition("/")
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["KUSTOS_DATABASE_URL"] = f"{base}/{name}"
    return env


@asynccontextmanager
async def stdio_session(env: dict, token: str):
    params = StdioServerParameters(command=sys.executable, args=["-m", "kustos.cli", "mcp"],
                                   env={**env, "KUSTOS_API_TOKEN": token}, cwd=str(REPO))
    async with stdio_client(params) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            yield session


async def call(session: ClientSession, tool: str, **arguments) -> tuple[bool, object]:
    result = await session.call_tool(tool, arguments)
    is_error = bool(getattr(result, "is_error", None) or getattr(result, "isError", None))
    text = result.content[0].text
    return is_error, (text if is_error else json.loads(text))


def audit_rows(env: dict, action: str) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", "audit", "log", "--action", action, "--json",
                           "--limit", "500"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    return data if isinstance(data, list) else data.get("events", data.get("rows", []))


def test_end_user_sees_only_own_mailbox_over_stdio(world):
    w, env = world

    async def run():
        async with stdio_session(env, w["tokens"]["alice"]) as s:
            names = {t.name for t in (await s.list_tools()).tools}
            assert names == TOOLS
            err, boxes = await call(s, "list_mailboxes")
            assert not err and boxes["mailboxes"] == ["alice@kunde.example"]
            err, found = await call(s, "search_messages", query="", limit=50)
            assert not err and found["total"] == 2
            assert {h["subject"] for h in found["hits"]} == {"Rechnung Januar", "Quarterly report"}
            assert {h["mailbox"] for h in found["hits"]} == {"alice@kunde.example"}
            assert set(found["hits"][0]) == {"id", "subject", "from", "date", "mailbox", "snippet"}
            err, page = await call(s, "search_messages", query="", limit=1, offset=1)
            assert not err and len(page["hits"]) == 1 and page["offset"] == 1
            err, msg = await call(s, "get_message", id=w["ids"]["Rechnung Januar"])
            assert not err and msg["headers"]["subject"] == "Rechnung Januar"
            assert "Nachricht 0 zum Thema Rechnung Januar" in msg["body_text"]
            assert msg["attachments"] == [{"index": 0, "filename": "beleg-0.txt", "content_type": "text/plain",
                                           "size": msg["attachments"][0]["size"]}]
            err, att = await call(s, "get_attachment_text", id=w["ids"]["Rechnung Januar"], index=0)
            assert not err and "Rechnungsbetrag 1234,56 EUR" in att["text"]
            err, text = await call(s, "get_attachment_text", id=w["ids"]["Rechnung Januar"], index=3)
            assert err and "not found: no attachment 3 in this message (1 attachments)" in text, text
            for foreign in ("Bobs Gehaltsabrechnung", "Fremde Nachricht"):
                err, text = await call(s, "get_message", id=w["ids"][foreign])
                assert err and "not found: no such message" in text, text
                err, text = await call(s, "get_attachment_text", id=w["ids"][foreign], index=0)
                assert err and "not found: no such message" in text, text
            err, text = await call(s, "search_messages", customer=w["other"])
            assert err and ("not found" in text or "permission denied" in text), text

    anyio.run(run)


def test_customer_admin_sees_the_customers_archive(world):
    w, env = world

    async def run():
        async with stdio_session(env, w["tokens"]["admin"]) as s:
            err, boxes = await call(s, "list_mailboxes")
            assert not err and boxes["mailboxes"] == ["alice@kunde.example", "bob@kunde.example"]
            err, found = await call(s, "search_messages", query="")
            assert not err and found["total"] == 3
            assert "Fremde Nachricht" not in {h["subject"] for h in found["hits"]}
            err, msg = await call(s, "get_message", id=w["ids"]["Bobs Gehaltsabrechnung"])
            assert not err and msg["mailboxes"] == ["bob@kunde.example"]
            err, text = await call(s, "get_message", id=w["ids"]["Fremde Nachricht"])
            assert err and "not found: no such message" in text
            err, text = await call(s, "search_messages", query="", limit=100000)
            assert err and "search not understood: limit" in text, text
            err, text = await call(s, "get_message", id="ms_doesnotexist")
            assert err and "not found: no such message" in text

    anyio.run(run)


def test_invalid_token_is_refused_over_stdio(world):
    w, env = world
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", "mcp"], env={**env, "KUSTOS_API_TOKEN": "kst_nope"},
                          cwd=REPO, capture_output=True, text=True, timeout=120, input="")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "kustos: error: API token refused: invalid API token (unknown, revoked, or its user is deactivated)"]


def test_http_listens_on_loopback_only_and_bad_token_file_is_one_line(world, tmp_path):
    _, env = world
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", "mcp", "--http", "--host", "0.0.0.0", "--port", "8765"],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "--host 0.0.0.0: the MCP server speaks plain HTTP and listens on loopback only" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", "mcp", "--token-file", str(tmp_path / "missing")],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120, input="")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert f"cannot read the token file {tmp_path / 'missing'}: No such file or directory" in proc.stderr


def test_token_file_for_stdio(world, tmp_path):
    w, env = world
    (tmp_path / "token").write_text(w["tokens"]["auditor"] + "\n")
    env = {k: v for k, v in env.items() if k != "KUSTOS_API_TOKEN"}

    async def run():
        params = StdioServerParameters(command=sys.executable, env=env, cwd=str(REPO),
                                       args=["-m", "kustos.cli", "mcp", "--token-file", str(tmp_path / "token")])
        async with stdio_client(params) as streams, ClientSession(streams[0], streams[1]) as s:
            await s.initialize()
            err, found = await call(s, "search_messages", query="Rechnung")
            assert not err and [h["subject"] for h in found["hits"]] == ["Rechnung Januar"]

    anyio.run(run)


@pytest.fixture(scope="module")
def http_server(world):
    w, env = world
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kustos.cli", "mcp", "--http", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    text, deadline = "", time.time() + 120
    while "streamable HTTP" not in text and time.time() < deadline and proc.poll() is None:
        text += proc.stdout.readline()
    assert f"on http://127.0.0.1:{port}/mcp" in text, text
    time.sleep(1)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


@asynccontextmanager
async def http_session(url: str, token: str):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        async with streamable_http_client(url, http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                yield session


def test_auditor_with_limited_grant_sees_only_the_grant_over_http(world, http_server):
    w, env = world

    async def run():
        async with http_session(http_server, w["tokens"]["auditor"]) as s:
            err, boxes = await call(s, "list_mailboxes")
            assert not err and boxes["mailboxes"] == ["alice@kunde.example"]
            err, found = await call(s, "search_messages", query="")
            assert not err and [h["subject"] for h in found["hits"]] == ["Rechnung Januar"]
            err, att = await call(s, "get_attachment_text", id=w["ids"]["Rechnung Januar"], index=0)
            assert not err and "1234,56" in att["text"]
            for hidden in ("Quarterly report", "Bobs Gehaltsabrechnung", "Fremde Nachricht"):  # date, mailbox, customer
                err, text = await call(s, "get_message", id=w["ids"][hidden])
                assert err and "not found: no such message" in text, (hidden, text)

    anyio.run(run)


def test_invalid_token_is_refused_over_http(world, http_server):
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    w, _ = world
    for auth in ({}, {"Authorization": "Bearer kst_invalid"}, {"Authorization": "Basic YTpi"},
                 {"Authorization": f"Bearer {w['tokens']['revoked']}"}):
        r = httpx2.post(http_server, json=body, headers={**headers, **auth}, timeout=30)
        assert r.status_code == 401, (auth, r.status_code, r.text)
        assert "error" in r.json()
    r = httpx2.post(http_server, json=body, headers={**headers, "Authorization": f"Bearer {w['tokens']['admin']}"},
                    timeout=30)
    assert r.status_code == 200, r.text


def test_calls_are_audited_with_channel_mcp(world, http_server):
    w, env = world

    async def run():
        async with http_session(http_server, w["tokens"]["admin"]) as s:
            assert not (await call(s, "search_messages", query="Gehaltsabrechnung"))[0]
            assert not (await call(s, "get_message", id=w["ids"]["Quarterly report"]))[0]
            assert not (await call(s, "get_attachment_text", id=w["ids"]["Rechnung Januar"], index=0))[0]
            assert not (await call(s, "list_mailboxes"))[0]

    anyio.run(run)
    searches = [e for e in audit_rows(env, "archive.search") if (e.get("detail") or {}).get("channel") == "mcp"]
    assert any(e["detail"]["query"] == "Gehaltsabrechnung" and e["actor"] == "it@kunde.example" for e in searches)
    views = [e for e in audit_rows(env, "archive.view") if (e.get("detail") or {}).get("channel") == "mcp"]
    assert any(e["target"] == w["ids"]["Quarterly report"] for e in views)
    atts = [e for e in audit_rows(env, "archive.attachment") if (e.get("detail") or {}).get("channel") == "mcp"]
    assert any(e["target"] == w["ids"]["Rechnung Januar"] for e in atts)
    trees = [e for e in audit_rows(env, "archive.folders") if (e.get("detail") or {}).get("channel") == "mcp"]
    assert any(e["detail"]["count"] == 2 and e["customer"] == w["customer"] for e in trees), trees
