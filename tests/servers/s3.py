"""pytest plugin: a real S3 server process (moto's server mode) on 127.0.0.1.

Fixtures:
- ``s3_server``: session-scoped ``{"endpoint_url", "access_key", "secret_key", "region"}``;
- ``s3_bucket``: a fresh bucket name on that server (function scope);
- ``s3_lock_bucket``: a fresh bucket created with object lock enabled.
Skips with a clear reason when moto's server is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region": "eu-central-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _client(server: dict[str, Any]) -> Any:
    return boto3.client("s3", endpoint_url=server["endpoint_url"], region_name=server["region"],
                        aws_access_key_id=server["access_key"], aws_secret_access_key=server["secret_key"])


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        pytest.skip("moto[server] is not installed (pip install 'moto[server]')")
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"moto server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    try:
        yield {"endpoint_url": f"http://127.0.0.1:{port}", **CREDENTIALS}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def s3_bucket(s3_server: dict[str, Any]) -> str:
    name = f"kustos-{uuid.uuid4().hex[:12]}"
    _client(s3_server).create_bucket(Bucket=name, CreateBucketConfiguration={
        "LocationConstraint": s3_server["region"]})
    return name


@pytest.fixture
def s3_lock_bucket(s3_server: dict[str, Any]) -> str:
    name = f"kustos-lock-{uuid.uuid4().hex[:12]}"
    _client(s3_server).create_bucket(Bucket=name, ObjectLockEnabledForBucket=True,
                                     CreateBucketConfiguration={"LocationConstraint": s3_server["region"]})
    return name
