"""The one Settings object: embedded defaults, env over TOML, production refuses missing secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kustos.config import ConfigError, load_settings


def test_embedded_defaults(tmp_path: Path):
    s = load_settings({"KUSTOS_HOME": str(tmp_path)})
    assert s.home == tmp_path and s.db_path == tmp_path / "kustos.sqlite3"
    assert s.vault_path == tmp_path / "vault" and not s.uses_postgres
    assert s.effective_search_backend == "tantivy" and s.smtp_port == 2525


def test_env_wins_over_toml(tmp_path: Path):
    (tmp_path / "kustos.toml").write_text('port = 9000\nsmtp_domain = "toml.example"\n')
    s = load_settings({"KUSTOS_HOME": str(tmp_path), "KUSTOS_PORT": "9100"})
    assert s.port == 9100 and s.smtp_domain == "toml.example"
    pg = load_settings({"KUSTOS_HOME": str(tmp_path), "KUSTOS_DATABASE_URL": "postgres://u@h/db"})
    assert pg.uses_postgres and pg.effective_search_backend == "postgres"


@pytest.mark.parametrize("env, problem", [
    ({}, "KUSTOS_SECRET_KEY"),
    ({"KUSTOS_SECRET_KEY": "short"}, "too short"),
    ({"KUSTOS_SECRET_KEY": "x" * 40}, "KUSTOS_MASTER_KEY"),
])
def test_production_refuses_default_or_missing_secrets(tmp_path: Path, env: dict, problem: str):
    with pytest.raises(ConfigError) as exc:
        load_settings({"KUSTOS_HOME": str(tmp_path), "KUSTOS_PRODUCTION": "1", **env})
    assert problem in str(exc.value)
    ok = load_settings({"KUSTOS_HOME": str(tmp_path), "KUSTOS_PRODUCTION": "1", "KUSTOS_SECRET_KEY": "s" * 40,
                        "KUSTOS_MASTER_KEY": os.urandom(32).hex()})  # a weak key ("k" * 64) is refused
    assert ok.production
