"""Fixtures for mailbox cleanup tests: a customer with a fresh vault and index, and IMAP mail helpers."""

from __future__ import annotations

import pytest

from kustos.core import runtime
from tests import factories


@pytest.fixture
def archive_customer(db, tmp_path, settings):
    """A customer whose vault and index live in this test's tmp_path."""
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    partner = factories.partner("Cleanup Partner")
    customer = factories.customer(partner, "Cleanup Kunde")
    yield customer
    runtime.reset()
