"""Kustos vault: encrypted, deduplicating, immutable object store (framework-free).

Entry point: :func:`kustos.vault.factory.open_vault`. See ``vault/README``-style
docstrings in :mod:`kustos.vault.vault` and :mod:`kustos.vault.store` for the contracts.
"""
