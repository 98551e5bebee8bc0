"""OCR tests: a customer with its own vault and index, OCR switched on (tests/conftest.py turns it
off for every other test), on tantivy and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import functools
import shutil

import pytest

from kustos.core import runtime
from kustos.jobs import services as job_services
from kustos.search import PostgresIndex
from tests import factories
from tests.servers.postgres import fresh_database

requires_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None or shutil.which("pdftoppm") is None,
    reason="tesseract-ocr / poppler-utils not installed (scripts/apt-packages.txt)")


@pytest.fixture
def ocr_customer(db, tmp_path, settings, monkeypatch):
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, home=tmp_path / "home", ocr="on")
    # as in a worker (an earlier in-process `kustos` command of the session may have set inline mode)
    monkeypatch.setattr(job_services, "inline", None)
    (tmp_path / "home").mkdir()
    runtime.reset()
    customer = factories.customer(factories.partner("OCR Partner"), "OCR Kunde")
    yield customer
    runtime.reset()


@pytest.fixture(params=["tantivy", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, ocr_customer, monkeypatch):
    """The search index the archive uses: tantivy under KUSTOS_HOME, or PostgreSQL FTS."""
    if request.param == "tantivy":
        yield request.param
        return
    with fresh_database(request.getfixturevalue("postgres_dsn")) as dsn:
        index = PostgresIndex(dsn)
        index.ensure_schema()
        monkeypatch.setattr(runtime, "search_index", functools.lru_cache(maxsize=1)(lambda: index))
        yield request.param
        index.close()
