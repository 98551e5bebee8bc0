"""Jobs through a real Redis queue: `kustos serve` and a separate `kustos worker` process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.servers.tls import free_port


def api(port: int, method: str, path: str, token: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def cli(env: dict, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run([sys.executable, "-m", "kustos.cli", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def token_for(env: dict, email: str) -> str:
    script = ("import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','kustos.django_settings');django.setup();"
              "from kustos.accounts.models import User;from kustos.accounts.services import tokens;"
              f"print(tokens.create(User.objects.get(email='{email}'),'t')[1])")
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def redis_command_calls(url: str) -> dict[str, int]:
    port = url.rsplit(":", 1)[1].split("/")[0]
    out = subprocess.run(["redis-cli", "-p", port, "info", "commandstats"], capture_output=True, text=True,
                         check=True).stdout
    calls = {}
    for line in out.splitlines():
        if line.startswith("cmdstat_"):
            name, _, stats = line.partition(":")
            calls[name.removeprefix("cmdstat_")] = int(stats.split("calls=")[1].split(",")[0])
    return calls


@pytest.mark.redis
def test_deletion_job_runs_through_the_redis_queue(cli_env, redis_url):
    env = {**cli_env, "KUSTOS_REDIS_URL": redis_url, "KUSTOS_REQUIRE_2FA_FOR_ADMINS": "0"}
    partner = json.loads(cli(env, "partner", "create", "Queue Partner", "--json"))["id"]
    cust = json.loads(cli(env, "customer", "create", "--partner", partner, "Queue Kunde", "--json"))["id"]
    cli(env, "user", "create", "--email", "pa@queue.example", "--role", "partner_admin", "--partner", partner,
        "--password-stdin", "--json", stdin="a-long-password-1\n")
    token = token_for(env, "pa@queue.example")
    port = free_port()
    # The API enqueues into Redis; the job is taken by a consumer (serve's own or the separate
    # `kustos worker`), so this proves the queue round trip and that both processes start on Redis.
    web = subprocess.Popen([sys.executable, "-m", "kustos.cli", "serve", "--no-smtp", "--port", str(port)],
                           env={**env, "KUSTOS_WORKERS": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    worker = None
    try:
        line = ""
        while "Kustos is running" not in line and web.poll() is None:
            line = web.stdout.readline()
        job = api(port, "POST", f"/customers/{cust}/delete", token, {"confirm": "Queue Kunde"})
        assert job["kind"] == "customer.delete"
        worker = subprocess.Popen([sys.executable, "-m", "kustos.cli", "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        state = job["state"]
        while time.time() < deadline and state not in ("succeeded", "failed"):
            time.sleep(0.5)
            state = api(port, "GET", f"/jobs/{job['id']}", token)["state"]
        assert state == "succeeded"
        customers = api(port, "GET", "/customers", token)
        assert all(c["id"] != cust for c in customers)
        # The job went through this Redis server: huey pushed it onto a list there and a
        # consumer popped it (the server counts the commands it executed).
        calls = redis_command_calls(redis_url)
        assert calls.get("lpush", 0) >= 1, calls
        assert calls.get("brpop", 0) + calls.get("rpop", 0) >= 1, calls
    finally:
        for proc in (web, worker):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
