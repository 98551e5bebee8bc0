"""Fixtures of the vault unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.vault.vault_helpers import make_vault

from kustos.vault.vault import Vault


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return make_vault(tmp_path / "home")
