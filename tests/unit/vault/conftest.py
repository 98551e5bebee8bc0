"""Fixtures of the vault unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import make_vault


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return make_vault(tmp_path / "home")
