"""CSV bulk-add of IMAP/POP3 mailboxes."""

from __future__ import annotations

import pytest

from kustos.sources.imap import MailboxCsvError, parse_mailbox_csv


def test_header_defaults_and_quoting() -> None:
    text = (
        "\ufeffhost,port,security,username,password,mailbox\r\n"
        "imap.example.com,,tls,anna@example.com,\"p,w\"\"1\",\n"
        "# comment line\n"
        "\n"
        "mail.example.org,143,starttls,bob,secret,bob@example.org\n"
    )
    assert parse_mailbox_csv(text) == [
        {"kind": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
         "username": "anna@example.com", "password": 'p,w"1', "mailbox": "anna@example.com"},
        {"kind": "imap", "host": "mail.example.org", "port": 143, "security": "starttls",
         "username": "bob", "password": "secret", "mailbox": "bob@example.org"},
    ]


def test_no_header_and_kind_column() -> None:
    assert parse_mailbox_csv("h,110,none,u,p,m\n")[0]["port"] == 110
    rows = parse_mailbox_csv("kind,host,port,security,username,password,mailbox\npop3,h,,tls,u,p,\n")
    assert rows[0]["kind"] == "pop3" and rows[0]["port"] == 995


def test_all_errors_reported_per_line_without_passwords() -> None:
    text = (
        "host,port,security,username,password,mailbox\n"
        "good.example,993,tls,a,topsecret,\n"
        ",99999,ssl,,topsecret2,\n"
        "x.example,993,tls\n"
        "good.example,993,tls,A,other,\n"
    )
    with pytest.raises(MailboxCsvError) as info:
        parse_mailbox_csv(text)
    errors = info.value.errors
    assert [line for line, _ in errors] == [3, 3, 3, 3, 4, 5]
    message = str(info.value)
    assert "host is missing" in message and "65535" in message and "security must be one of" in message
    assert "expected 6 columns" in message and "duplicate of line 2" in message
    assert "topsecret" not in message
