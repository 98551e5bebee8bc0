"""Fixtures for restore-to-mailbox tests: a customer with its own vault and index home."""

from __future__ import annotations

import pytest

from kustos.core import runtime
from tests import factories


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def archive_customer(db, tmp_path, settings):
    """A customer whose vault and index live in this test's tmp_path."""
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    partner = factories.partner("Restore Partner")
    customer = factories.customer(partner, "Restore Kunde")
    yield customer
    runtime.reset()
