"""The receiver of `kustos serve` / `kustos smtpd` built from settings: STARTTLS with the configured
certificate, AUTH with the configured credentials (never logged), limits, and clear errors."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from kustos.archive.services import journal
from kustos.cli.smtp_service import SmtpService, receiver_options
from kustos.config import ConfigError
from kustos.core import runtime
from kustos.sources.smtp import Spool
from tests import factories
from tests.servers.smtp import swaks
from tests.servers.tls import free_port, make_self_signed

PASSWORD = "journal-relay-secret-42"


def test_defaults_are_internet_safe():
    options = receiver_options(runtime.settings())
    assert options["timeout"] == 60 and options["auth"] is None and options["tls_context"] is None
    assert (options["max_connections_per_client"], options["max_connections"]) == (20, 200)


@pytest.mark.parametrize(("change", "message"), [
    ({"smtp_tls_cert": "/nonexistent/cert.pem"}, "KUSTOS_SMTP_TLS_CERT and KUSTOS_SMTP_TLS_KEY must be set together"),
    ({"smtp_tls_cert": "/nonexistent/cert.pem", "smtp_tls_key": "/nonexistent/key.pem"},
     "KUSTOS_SMTP_TLS_CERT: file not found: /nonexistent/cert.pem"),
    ({"smtp_idle_timeout": 300}, "KUSTOS_SMTP_IDLE_TIMEOUT must be 1-60 seconds, got 300"),
    ({"smtp_auth_user": "relay"}, "KUSTOS_SMTP_AUTH_USER and KUSTOS_SMTP_AUTH_PASSWORD must be set together"),
    ({"smtp_max_connections_per_client": 0}, "must be at least 1"),
])
def test_bad_settings_are_refused_with_the_setting_named(change, message):
    with pytest.raises(ConfigError, match=message):
        receiver_options(replace(runtime.settings(), **change))


@pytest.mark.smtp
@pytest.mark.django_db(transaction=True)
def test_starttls_and_auth_from_settings(tmp_path, settings, caplog):
    caplog.set_level(logging.DEBUG)
    certs = make_self_signed(tmp_path / "tls")
    settings.KUSTOS = replace(settings.KUSTOS, home=tmp_path / "home", smtp_tls_cert=str(certs.cert),
                              smtp_tls_key=str(certs.key), smtp_auth_user="relay", smtp_auth_password=PASSWORD)
    (tmp_path / "home").mkdir()
    runtime.reset()
    customer = factories.customer(factories.partner("TLS Partner"), "TLS Kunde")
    address = journal.address(customer)
    port = free_port()
    receiver = SmtpService(runtime.settings(), "127.0.0.1", port).receiver  # without the drain: spool kept
    receiver.start()
    try:
        plain = swaks(port, "--to", address, "--from", "a@kunde.example", "--quit-after", "EHLO")
        assert "250-STARTTLS" in plain.stdout and "AUTH" not in plain.stdout  # no AUTH before TLS
        good = swaks(port, "--to", address, "--from", "a@kunde.example", "-tls", "--auth", "LOGIN",
                     "--auth-user", "relay", "--auth-password", PASSWORD)
        assert good.returncode == 0, good.stdout
        assert "TLS started" in good.stdout and "235 " in good.stdout
        wrong = swaks(port, "--to", address, "--from", "a@kunde.example", "-tls", "--auth", "PLAIN",
                      "--auth-user", "relay", "--auth-password", "guess")
        assert wrong.returncode != 0 and "535" in wrong.stdout
    finally:
        receiver.stop()
        runtime.reset()
    ((envelope, _data),) = list(Spool(tmp_path / "home" / "spool").iter_all())
    assert envelope.tls is True and envelope.authenticated is True and envelope.auth_user == "relay"
    assert PASSWORD not in caplog.text
