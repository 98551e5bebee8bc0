"""One contract suite for every vault backend (local directory, memory, S3 via moto server)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kustos.vault.backends.base import Backend
from kustos.vault.backends.retry import RetryingBackend
from kustos.vault.errors import InvalidName, NotFound, TransientError
from tests.contract.vault_backends import KINDS, make_backend
from tests.servers.s3 import s3_bucket, s3_lock_bucket, s3_server  # noqa: F401


@pytest.fixture(params=KINDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request.param, request, tmp_path)


def test_store_load_roundtrip_and_ranges(backend: Backend) -> None:
    data = bytes(range(256)) * 40
    backend.store("customers/c1/packs/keep/p1", data)
    assert backend.load("customers/c1/packs/keep/p1") == data
    assert backend.load("customers/c1/packs/keep/p1", 10, 5) == data[10:15]
    assert backend.load("customers/c1/packs/keep/p1", len(data) - 3, 100) == data[-3:]
    assert backend.load("customers/c1/packs/keep/p1", 100) == data[100:]
    assert backend.info("customers/c1/packs/keep/p1").size == len(data)


def test_store_replaces_atomically_and_empty_objects(backend: Backend) -> None:
    backend.store("a/x", b"first")
    backend.store("a/x", b"second version")
    assert backend.load("a/x") == b"second version"
    backend.store("a/empty", b"")
    assert backend.load("a/empty") == b""
    assert backend.info("a/empty").size == 0


def test_missing_names_raise_not_found(backend: Backend) -> None:
    with pytest.raises(NotFound, match="nope"):
        backend.load("a/nope")
    with pytest.raises(NotFound):
        backend.info("a/nope")
    with pytest.raises(NotFound):
        backend.delete("a/nope")
    assert backend.exists("a/nope") is False


def test_delete_and_list_by_prefix(backend: Backend) -> None:
    names = ["customers/a/index/keep/1", "customers/a/packs/keep/p", "customers/ab/key", "system/tsa/ca.pem"]
    for n in names:
        backend.store(n, n.encode())
    assert list(backend.list("customers/a/")) == names[:2]
    assert list(backend.list("customers/a")) == names[:3]
    assert list(backend.list("")) == sorted(names)
    backend.delete("customers/a/packs/keep/p")
    assert list(backend.list("customers/a/")) == names[:1]
    assert backend.exists("customers/ab/key")
    assert list(backend.list("nothing/")) == []


def test_invalid_names_are_refused(backend: Backend) -> None:
    for bad in ["", "../x", "a//b", "a/../b", "/abs", "a b"]:
        with pytest.raises(InvalidName):
            backend.store(bad, b"x")


def test_properties_describe_the_backend(backend: Backend) -> None:
    props = backend.properties()
    assert props["kind"] in {"local", "memory", "s3"}
    assert props["object_lock"] is False


def test_concurrent_stores_of_distinct_names(backend: Backend) -> None:
    def work(i: int) -> None:
        for j in range(5):
            backend.store(f"t/{i}/{j}", f"{i}-{j}".encode() * 100)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list(backend.list("t/"))) == 20
    assert backend.load("t/3/4") == b"3-4" * 100


@pytest.mark.s3
def test_s3_object_lock_sets_retain_until(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    backend = make_backend("s3", request, tmp_path, lock=True)
    assert backend.properties()["object_lock"] is True
    until = datetime(2031, 1, 1, tzinfo=UTC)
    backend.store("customers/c/packs/2030/p", b"locked", retain_until=until)
    assert backend.info("customers/c/packs/2030/p").retain_until == until
    backend.store("customers/c/packs/keep/p", b"unlocked")
    assert backend.info("customers/c/packs/keep/p").retain_until is None




def test_retry_wrapper_retries_transient_errors(backend: Backend) -> None:
    calls = {"n": 0}
    real_load = backend.load

    def flaky_load(name: str, offset: int = 0, size: int | None = None) -> bytes:
        calls["n"] += 1
        if calls["n"] < 3:
            raise TransientError("simulated timeout")
        return real_load(name, offset, size)

    backend.store("r/x", b"payload")
    backend.load = flaky_load  # type: ignore[method-assign]
    wrapped = RetryingBackend(backend, attempts=4, base_delay=0.001)
    assert wrapped.load("r/x") == b"payload"
    assert calls["n"] == 3
    calls["n"] = -10
    with pytest.raises(TransientError):
        RetryingBackend(backend, attempts=3, base_delay=0.001).load("r/x")
    calls["n"] = 10
    with pytest.raises(NotFound):
        wrapped.load("r/missing")
    assert calls["n"] == 11  # NotFound is not retried
