"""Open a vault from :class:`kustos.config.Settings`.

``vault_url`` empty -> local directory ``settings.vault_path``; ``s3://bucket/prefix`` -> S3
(``s3_endpoint_url``, ``s3_region``, ``s3_access_key``, ``s3_secret_key``); ``memory://`` ->
in-process memory. The backend is wrapped by the retrying wrapper here, the one place.
Master key: ``settings.master_key`` or the key file ``settings.master_key_file`` (0600).
Tunables may come from ``settings.extra`` (``vault_pack_size``, ``vault_zstd_level``, ...).
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from kustos.config import Settings
from kustos.vault.backends.base import Backend
from kustos.vault.backends.local import LocalBackend
from kustos.vault.backends.memory import MemoryBackend
from kustos.vault.backends.retry import RetryingBackend
from kustos.vault.errors import VaultError
from kustos.vault.index import IndexCache
from kustos.vault.keys import load_master_key
from kustos.vault.ledger.tsa import LocalTSA, RemoteTSA, Timestamper
from kustos.vault.options import StoreContext, VaultOptions
from kustos.vault.vault import Vault

S3_MODULE = "kustos.vault.backends.s3"
_MEMORY: dict[str, MemoryBackend] = {}  # memory:// vaults live as long as the process


def backend_for(settings: Settings, url: str | None = None) -> Backend:
    """The backend of ``url`` (a storage location's vault URL), or of the installation's vault."""
    url = (settings.vault_url if url is None else url).strip()
    if not url:
        return LocalBackend(settings.vault_path)
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.hostname:
            raise VaultError("vault URL names no bucket")
        # boto3 costs ~0.2 s to import: load the S3 backend only for s3:// vaults.
        s3 = importlib.import_module(S3_MODULE)
        # a location's URL may carry its own key pair (s3://KEY:SECRET@bucket/prefix)
        return s3.S3Backend(parsed.hostname, parsed.path.lstrip("/"), endpoint_url=settings.s3_endpoint_url,
                         region=settings.s3_region, access_key=unquote(parsed.username or settings.s3_access_key),
                         secret_key=unquote(parsed.password or settings.s3_secret_key))
    if parsed.scheme == "memory":
        return _MEMORY.setdefault(parsed.netloc + parsed.path, MemoryBackend())
    if parsed.scheme in ("file", ""):
        return LocalBackend(Path(parsed.path))
    raise VaultError(f"unsupported vault URL scheme {parsed.scheme!r} (use s3://, memory:// or a path)")


def options_from(settings: Settings) -> VaultOptions:
    values: dict[str, Any] = {}
    for f in fields(VaultOptions):
        key = f"vault_{f.name}"
        if key in settings.extra:
            raw = settings.extra[key]
            values[f.name] = type(getattr(VaultOptions(), f.name))(raw)
    return VaultOptions(**values)


def local_dirs(settings: Settings, url: str | None = None) -> tuple[Path, Path]:
    """Index cache and lock directories: the installation's vault keeps the plain ones, a
    location's own vault (another URL) gets subdirectories named by a hash of its URL."""
    cache, locks = settings.home / "cache" / "vault", settings.home / "locks" / "vault"
    if url is None or url.strip() == settings.vault_url.strip():
        return cache, locks
    tag = "loc-" + hashlib.sha256(url.strip().encode()).hexdigest()[:16]
    return cache / tag, locks / tag


def open_vault(settings: Settings, options: VaultOptions | None = None, backend: Backend | None = None,
               url: str | None = None) -> Vault:
    """Open the installation's vault, or with ``url`` a storage location's vault (same master
    key, TSA, tunables and S3 credentials; requirement 26)."""
    master = load_master_key(settings.master_key, settings.master_key_file)
    backend = RetryingBackend(backend or backend_for(settings, url))
    tsa: Timestamper = RemoteTSA(settings.tsa_url) if settings.tsa_url else LocalTSA(backend, master)
    cache_dir, lock_dir = local_dirs(settings, url)
    ctx = StoreContext(backend=backend, cache=IndexCache(cache_dir), lock_dir=lock_dir, tsa=tsa,
                       options=options or options_from(settings))
    return Vault(ctx, master)
