"""Each scale test opens the vault and the search index under its own home and closes them after
(on PostgreSQL the search index holds connections of its own to the test database)."""

from __future__ import annotations

import dataclasses

import pytest

from kustos.core import runtime


@pytest.fixture(autouse=True)
def _own_home(request, tmp_path):
    if "settings" not in request.fixturenames:
        yield
        return
    settings = request.getfixturevalue("settings")
    home = tmp_path / "home"
    home.mkdir()
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, home=home)
    runtime.reset()
    yield
    if runtime.search_index.cache_info().currsize:
        runtime.search_index().close()
    runtime.reset()
