"""`kustos sso list|add|set|remove|test|policy` (in process, through the real parser): JSON output, the
secret read from a file or stdin and never printed, one-line errors with exit 1, audit as ``cli``."""

from __future__ import annotations

import io
import json

import pytest

from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.core.secrets import open_secret
from kustos.sso.models import IdentityProvider, SignInPolicy
from tests import factories
from tests.integration.sso.oidc_helpers import REDIRECT_URI

pytestmark = pytest.mark.django_db


def _run(capsys, *args: str) -> tuple[int, dict | list | str]:
    code = registry.run(list(args))
    captured = capsys.readouterr()
    if code != 0:
        return code, captured.err
    return code, json.loads(captured.out) if "--json" in args else captured.out


def test_add_list_set_policy_remove(capsys, tmp_path):
    partner = factories.partner("CLI Partner")
    customer = factories.customer(partner, "CLI Kunde")
    secret_file = tmp_path / "secret"
    secret_file.write_text("file-secret-77\n")
    code, added = _run(capsys, "sso", "add", "--customer", customer.name, "--kind", "entra", "--name", "Kunde Entra",
                       "--client-id", "app-7", "--tenant", "t-1", "--tenant", "t-2", "--domain", "kunde.example",
                       "--map", "admins=customer_admin", "--default-role", "end_user", "--create-users", "on",
                       "--secret-file", str(secret_file), "--json")
    assert code == 0, added
    provider = IdentityProvider.objects.get(id=added["id"])
    assert provider.customer_id == customer.id and added["secret_set"] is True
    assert provider.config == {"client_id": "app-7", "tenant_ids": ["t-1", "t-2"], "email_domains": ["kunde.example"],
                               "create_users": True, "default_role": "end_user",
                               "role_map": [{"group": "admins", "role": "customer_admin"}]}
    assert open_secret(provider.secret_sealed, provider.owner_ref) == "file-secret-77"
    assert "file-secret-77" not in json.dumps(added)

    code, listed = _run(capsys, "sso", "list", "--customer", customer.id, "--json")
    assert code == 0 and [p["id"] for p in listed] == [provider.id]
    code, text = _run(capsys, "sso", "list")
    assert code == 0 and provider.id in text and "Kunde Entra" in text

    code, policy = _run(capsys, "sso", "policy", "--customer", customer.id, "--local-passwords", "off",
                        "--session-max-age", "6", "--json")
    assert code == 0 and policy["local_passwords"] is False and policy["session_max_age_hours"] == 6
    code, err = _run(capsys, "sso", "set", provider.id, "--enabled", "off")
    assert code == 1 and err.startswith("kustos: error: this is the last enabled single sign-on provider")
    assert err.count("\n") == 1

    registry_stdin = io.StringIO("stdin-secret-88\n")
    monkey = pytest.MonkeyPatch()
    monkey.setattr("sys.stdin", registry_stdin)
    try:
        code, changed = _run(capsys, "sso", "set", provider.id, "--unset", "role_map", "--show-on-login", "on",
                             "--secret-stdin", "--json")
    finally:
        monkey.undo()
    assert code == 0, changed
    provider.refresh_from_db()
    assert "role_map" not in provider.config and provider.config["show_on_login"] is True
    assert open_secret(provider.secret_sealed, provider.owner_ref) == "stdin-secret-88"

    assert _run(capsys, "sso", "policy", "--customer", customer.id, "--local-passwords", "on", "--json")[0] == 0
    code, removed = _run(capsys, "sso", "remove", provider.id, "--json")
    assert code == 0 and removed == {"id": provider.id, "deleted": True}
    assert not IdentityProvider.objects.exists()
    assert SignInPolicy.objects.get(customer=customer).local_passwords is True
    actions = list(AuditEvent.objects.filter(actor="cli", action__startswith="sso.").values_list("action", flat=True))
    assert actions.count("sso.policy.update") == 2 and "sso.provider.create" in actions and "sso.provider.remove" in actions


def test_errors_are_one_line(capsys):
    partner = factories.partner("CLI Partner 2")
    code, err = _run(capsys, "sso", "add", "--partner", partner.id, "--kind", "oidc", "--name", "X",
                     "--client-id", "c")
    assert code == 1 and err == "kustos: error: a provider of kind oidc needs discovery_url\n"
    code, err = _run(capsys, "sso", "add", "--partner", partner.id, "--kind", "entra", "--name", "X",
                     "--client-id", "c", "--default-role", "end_user")
    assert code == 1 and "default_role" in err and "partner_tech" in err
    code, err = _run(capsys, "sso", "policy", "--partner", partner.id, "--local-passwords", "off")
    assert code == 1 and "local passwords stay on" in err
    code, err = _run(capsys, "sso", "test", "idp_nothing")
    assert code == 1 and err == "kustos: error: no identity provider with id 'idp_nothing'\n"
    code, err = _run(capsys, "sso", "add", "--partner", partner.id, "--kind", "entra", "--name", "X",
                     "--set", "nonsense")
    assert code == 1 and "KEY=VALUE" in err
    assert not IdentityProvider.objects.exists()


def test_test_connection_reports_and_fails_with_exit_1(capsys, provider_cloud):
    partner = factories.partner("CLI Partner 3")
    app = provider_cloud.control.oidc_client("ms", [REDIRECT_URI], tenant="t-cli")
    code, added = _run(capsys, "sso", "add", "--partner", partner.id, "--kind", "entra", "--name", "Entra",
                       "--client-id", app["client_id"], "--discovery-url", app["common_discovery_url"], "--json")
    assert code == 0, added
    code, result = _run(capsys, "sso", "test", added["id"], "--json")
    assert code == 0 and result["ok"] is True and result["keys"] >= 1
    _run(capsys, "sso", "set", added["id"], "--discovery-url", provider_cloud.base_url + "/missing", "--json")
    code = registry.run(["sso", "test", added["id"], "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["ok"] is False and "HTTP 404" in out["message"]
