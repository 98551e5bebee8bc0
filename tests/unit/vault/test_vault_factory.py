"""open_vault: local, memory and S3 URLs from Settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kustos.vault.backends.local import LocalBackend
from kustos.vault.backends.memory import MemoryBackend
from kustos.vault.backends.s3 import S3Backend
from kustos.vault.errors import VaultError
from kustos.vault.factory import open_vault
from kustos.vault.vault import Vault
from tests.servers.s3 import s3_bucket, s3_lock_bucket, s3_server  # noqa: F401
from tests.unit.vault.vault_helpers import SMALL, mail, make_settings


def _roundtrip(vault: Vault) -> None:
    store = vault.store("acme")
    res = store.put(mail(1), "mail", retention_year=2031)
    store.commit()
    assert store.get(res.id) == mail(1)
    assert vault.verify().ok


def test_local_default_uses_vault_path(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    vault = open_vault(settings, SMALL)
    assert isinstance(vault.backend.inner, LocalBackend)  # type: ignore[attr-defined]
    _roundtrip(vault)
    assert (settings.vault_path / "customers" / "acme" / "key").exists()


def test_memory_url(tmp_path: Path) -> None:
    vault = open_vault(make_settings(tmp_path, vault_url="memory://t1"), SMALL)
    assert isinstance(vault.backend.inner, MemoryBackend)  # type: ignore[attr-defined]
    _roundtrip(vault)


def test_unknown_scheme_refused(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="unsupported vault URL"):
        open_vault(make_settings(tmp_path, vault_url="ftp://x"), SMALL)


def test_pack_size_from_settings_extra(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.extra["vault_pack_size"] = "12345"
    assert open_vault(settings).ctx.options.pack_size == 12345


@pytest.mark.s3
def test_s3_url(tmp_path: Path, s3_server: dict[str, Any], s3_bucket: str) -> None:  # noqa: F811
    settings = make_settings(tmp_path, vault_url=f"s3://{s3_bucket}/kustos", s3_endpoint_url=s3_server["endpoint_url"],
                             s3_access_key=s3_server["access_key"], s3_secret_key=s3_server["secret_key"])
    vault = open_vault(settings, SMALL)
    assert isinstance(vault.backend.inner, S3Backend)  # type: ignore[attr-defined]
    _roundtrip(vault)
    store = vault.store("acme")
    evidence = store.ledger.proof(next(iter(store.objects())))
    assert evidence.check()


@pytest.mark.s3
def test_s3_object_lock_retains_packs_until_end_of_retention_year(
        tmp_path: Path, s3_server: dict[str, Any], s3_lock_bucket: str) -> None:  # noqa: F811
    settings = make_settings(tmp_path, vault_url=f"s3://{s3_lock_bucket}/v", s3_endpoint_url=s3_server["endpoint_url"],
                             s3_access_key=s3_server["access_key"], s3_secret_key=s3_server["secret_key"])
    vault = open_vault(settings, SMALL)
    store = vault.store("acme")
    store.put(mail(1), "mail", retention_year=2030)
    store.put(mail(2), "mail")
    store.commit()
    packs = list(vault.backend.list("customers/acme/packs/"))
    retained = {name.split("/")[3]: vault.backend.info(name).retain_until for name in packs}
    assert retained == {"2030": datetime(2031, 1, 1, tzinfo=UTC), "keep": None}
    index = next(iter(vault.backend.list("customers/acme/index/2030/")))
    assert vault.backend.info(index).retain_until == datetime(2031, 1, 1, tzinfo=UTC)
