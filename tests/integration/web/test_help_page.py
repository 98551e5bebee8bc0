"""The help page describes only what exists: every command it shows parses with the real `kustos`
parser, and features that are not built (backups, restores, retention rules, legal holds) are
not advertised."""

from __future__ import annotations

import html
import re
import shlex

import pytest

from kustos.cli.registry import build_parser
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

NOT_BUILT = ("backup", "restore", "retention", "legal hold", "trial", "dropbox", "salesforce", "billed")


@pytest.fixture
def page(client) -> str:
    customer = factories.customer(factories.partner("P"), "Kunde")
    resp = sign_in(client, factories.user("admin@kunde.example", "customer_admin", customer=customer)).get("/help/getting-started/")
    assert resp.status_code == 200
    return resp.content.decode()


def test_every_command_on_the_help_page_parses(page: str):
    blocks = [html.unescape(b) for b in re.findall(r"<pre>(.*?)</pre>", page, re.S)]
    commands = [line for block in blocks for line in block.splitlines() if line.startswith("kustos ")]
    assert len(commands) >= 8
    parser = build_parser()
    for command in commands:
        argv = shlex.split(re.sub(r"<[^>]+>", "X", command))[1:]
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"the help page shows a command that does not parse: {command}")


def test_help_page_does_not_advertise_unbuilt_features(page: str):
    guide = page[page.index('<div class="guide">'):]
    text = re.sub(r"<[^>]+>", " ", guide).lower()
    assert not [word for word in NOT_BUILT if word in text]
    toc = re.findall(r'<a href="#(\w+)">', page)
    assert toc and all(f'id="{anchor}"' in page for anchor in toc)
    assert "kustos quarantine retry" in page and "kustos import" in page
