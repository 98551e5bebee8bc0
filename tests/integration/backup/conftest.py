"""Fixtures of the backup engine's tests: a customer with its own home (vault), the toy backup kind and
its in-memory cloud, a source of that kind."""

from __future__ import annotations

import os

import pytest

from kustos.archive.services import sources
from kustos.core import runtime
from kustos.jobs import services as job_services
from kustos.sources.kinds import registry
from tests import factories
from tests.integration.backup import toy_backup


@pytest.fixture
def customer(db, tmp_path, settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    partner = factories.partner("Backup Partner")
    yield factories.customer(partner, "Backup Kunde")
    runtime.reset()


@pytest.fixture
def cloud():
    registry.register(toy_backup.KIND)
    c = toy_backup.Cloud()
    c.put("anna", "f1", "folder", "", "Documents", b"")
    c.put("anna", "d1", "file", "Documents", "report.pdf", os.urandom(300_000))
    c.put("anna", "d2", "file", "Documents", "notes.txt", b"plain notes\n" * 100)
    c.put("anna", "m1", "mail", "Mail/Inbox", "m1", b"From: a@x.example\r\nSubject: hi\r\n\r\nhello\r\n")
    c.put("anna", "e1", "event", "Calendar", "e1", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    c.put("ben", "d3", "file", "", "big.bin", os.urandom(6 * 1024 * 1024))
    c.put("ben", "c1", "contact", "Contacts", "c1", b"BEGIN:VCARD\r\nFN:Anna\r\nEND:VCARD\r\n")
    toy_backup.CLOUDS["t"] = c
    yield c
    toy_backup.CLOUDS.pop("t", None)
    registry.unregister("toybackup")


@pytest.fixture
def source(customer, cloud):
    return sources.add(customer, "toybackup", {"cloud": "t"}, "secret-token", actor="test")


@pytest.fixture
def queued_jobs():
    """Jobs are queued as under workers (a `kustos` command earlier in this process may have switched
    it to running jobs inline); restored afterwards."""
    previous = job_services.inline
    job_services.set_inline(None)
    yield
    job_services.set_inline(previous)
