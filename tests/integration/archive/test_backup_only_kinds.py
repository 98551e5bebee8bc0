"""A source of a backup-only kind (Dropbox, Box, Salesforce) is never archived: it is added without
the archive service and the archive scheduler never starts a source run for it."""

from __future__ import annotations

import pytest

from kustos.archive.services import sources
from kustos.sources.kinds import registry
from tests import factories

pytestmark = pytest.mark.django_db


def test_backup_only_kind_is_added_without_archive_and_never_scheduled_for_archiving():
    assert registry.KINDS["dropbox"].services == ("backup",)
    customer = factories.customer(factories.partner("P"), "K")
    config = {"app_key": "key", "endpoint": "http://127.0.0.1:9/dropbox", "content_endpoint": "http://127.0.0.1:9/dropbox"}
    dropbox = sources.add(customer, "dropbox", config, "app-secret", actor="test")
    imap = sources.add(customer, "imap", {"host": "127.0.0.1", "port": 993, "username": "u@k.example",
                                          "security": "tls"}, "pw", actor="test")
    assert dropbox.services == [] and imap.services == ["archive"]
    assert sources.services(dropbox) == {"backup": False}
    due = {s.id for s in sources.due()}
    assert imap.id in due and dropbox.id not in due
