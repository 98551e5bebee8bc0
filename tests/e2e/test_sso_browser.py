"""Single sign-on in a real browser: a real `kustos serve` process, the emulated Microsoft Entra ID
(fakecloud, a real process) and Debian's Chromium driven by Playwright.

A partner technician signs in with the partner's "Sign in with Alpha Entra" button (the provider
asserts MFA, so the second factor required for partner roles is satisfied); a customer admin (an Entra
group mapped to the role) and an end user (mailboxes from the addresses Graph reports) sign in through
the e-mail-first "Sign in with your organisation" field. Each lands on the dashboard with the right role
(the account page) and the right mailboxes (read from the server's database). Failure cases shown in the
browser: a user of another Entra tenant is sent back to the sign-in page with the reason, and a partner
technician without MFA asserted is sent to the two-factor setup.

Seeding and reading back run in separate processes against the server's home:
    KUSTOS_HOME=... python tests/e2e/test_sso_browser.py --seed '<json>'
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
KUSTOS = Path(sys.executable).with_name("kustos")
TID = "7f3c1e52-aaaa-4bbb-8ccc-0000000b0001"
OTHER_TID = "7f3c1e52-aaaa-4bbb-8ccc-0000000b0002"
ADMINS = "group-kunde-admins"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")]


def _django():
    import django  # noqa: PLC0415  (the seeding process only)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
    django.setup()


def _seed(info: dict) -> dict:
    _django()
    from django.core.management import call_command  # noqa: PLC0415

    from kustos.sso.services import providers  # noqa: PLC0415
    from kustos.tenants.services import customers, partners  # noqa: PLC0415

    call_command("migrate", interactive=False, verbosity=0)
    partner = partners.create("Alpha IT")
    customer = customers.create(partner, "Kunde Eins")
    common = {"client_id": info["client_id"], "discovery_url": info["discovery_url"], "tenant_ids": [TID],
              "graph_url": info["graph_url"], "create_users": True}
    providers.create(partner, kind="entra", name="Alpha Entra", secret=info["client_secret"], actor="seed",
                     config={**common, "default_role": "partner_tech", "show_on_login": True,
                             "email_domains": ["alpha.example"]})
    providers.create(customer, kind="entra", name="Kunde Entra", secret=info["client_secret"], actor="seed",
                     config={**common, "default_role": "end_user", "show_on_login": False,
                             "email_domains": ["kunde.example"],
                             "role_map": [{"group": ADMINS, "role": "customer_admin"}]})
    return {"partner": partner.id, "customer": customer.id}


def _users() -> dict:
    _django()
    from kustos.accounts.models import User  # noqa: PLC0415

    return {u.email: {"role": u.role, "mailboxes": list(u.mailboxes or []), "partner": u.partner_id,
                      "customer": u.customer_id} for u in User.objects.all()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _helper(env: dict, *args: str) -> dict:
    done = subprocess.run([sys.executable, str(Path(__file__)), *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from fakecloud.testing import running_fakecloud  # noqa: PLC0415
    from tests.e2e.serving import kustos_serve  # noqa: PLC0415

    home = tmp_path_factory.mktemp("kustos-sso-home")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KUSTOS_HOME": str(home), "KUSTOS_SOURCES_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    env.pop("KUSTOS_DATABASE_URL", None)
    env.pop("KUSTOS_REDIS_URL", None)
    env.pop("KUSTOS_REQUIRE_2FA_FOR_ADMINS", None)  # the default: partner roles need a second factor
    with running_fakecloud() as cloud:
        control = cloud.control
        app = control.oidc_client("ms", [base + "/sso/callback"], tenant=TID)
        control.oidc_client("ms", [base + "/sso/callback"], tenant=OTHER_TID)
        control.oidc_user("ms", "tech@alpha.example", tenant=TID, name="Tom Tech", mfa=True)
        control.oidc_user("ms", "tech2@alpha.example", tenant=TID, name="Tina Tech", mfa=False)
        control.oidc_user("ms", "chef@kunde.example", tenant=TID, name="Clara Chef", groups=[ADMINS])
        control.oidc_user("ms", "lena@kunde.example", tenant=TID, name="Lena Berg",
                          aliases=["l.berg@kunde.example"])
        control.oidc_user("ms", "eve@fabrikam.example", tenant=OTHER_TID, name="Eve")
        seeded = _helper(env, "--seed", json.dumps({
            "client_id": app["client_id"], "client_secret": app["client_secret"],
            "discovery_url": app["common_discovery_url"], "graph_url": cloud.base_url}))
        with kustos_serve(KUSTOS, env, home, port) as served:
            yield {"base": served, "env": env, "cloud": cloud, **seeded}


def _context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return context, page, problems


def _at_provider(page, email: str | None, cloud_base: str) -> None:
    """On the emulated Microsoft sign-in page: (type the address and) press Sign in."""
    page.wait_for_url(lambda url: url.startswith(cloud_base))
    page.wait_for_selector("#signin")
    assert "Sign in to Microsoft" in page.content()
    if email is not None:
        page.fill("#email", email)
    page.click("#signin")


def _role_on_account_page(page, base: str) -> str:
    page.goto(base + "/account/")
    return page.locator("dl.dl dd").nth(2).inner_text().strip()


def _button_sign_in(browser, world, email: str):
    context, page, problems = _context(browser)
    page.goto(world["base"] + "/login/")
    page.click("[data-testid=sso-button]:has-text('Sign in with Alpha Entra')")
    _at_provider(page, email, world["cloud"].base_url)
    page.wait_for_load_state("load")
    return context, page, problems


def _email_first_sign_in(browser, world, email: str):
    context, page, problems = _context(browser)
    page.goto(world["base"] + "/login/")
    page.fill("#sso-email", email)
    page.click("[data-testid=sso-discover-submit]")
    _at_provider(page, None, world["cloud"].base_url)  # the address came along as login_hint
    page.wait_for_load_state("load")
    return context, page, problems


def test_three_roles_sign_in_through_entra_and_land_with_role_and_mailboxes(browser, world):
    base = world["base"]
    context, page, problems = _button_sign_in(browser, world, "tech@alpha.example")
    assert page.url == base + "/", page.url  # MFA asserted by the provider: no second factor asked
    assert _role_on_account_page(page, base) == "Partner technician"
    assert not problems, problems
    context.close()

    context, page, problems = _email_first_sign_in(browser, world, "chef@kunde.example")
    assert page.url == base + "/", page.url
    assert _role_on_account_page(page, base) == "Customer admin"
    assert "Kunde Eins" in page.content()
    # The customer admin's SSO settings: reached from the navigation, "test connection" reports the keys.
    page.click("nav >> text=Single sign-on")
    page.wait_for_url(base + f"/customers/{world['customer']}/sso/")
    assert page.locator("h1").inner_text().strip() == "Single sign-on"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    row = page.locator("[data-testid=sso-provider]")
    assert row.count() == 1 and "Kunde Entra" in row.inner_text() and "enabled" in row.inner_text()
    row.locator("[data-testid=sso-test]").click()
    page.wait_for_load_state("load")
    flash = page.locator(".flash").first.inner_text()
    assert "Test connection of “Kunde Entra”" in flash and "signing key(s) found" in flash
    assert not problems, problems
    context.close()

    context, page, problems = _email_first_sign_in(browser, world, "lena@kunde.example")
    assert page.url == base + "/", page.url
    assert _role_on_account_page(page, base) == "End user"
    assert not problems, problems
    context.close()

    users = _helper(world["env"], "--users")
    assert users["tech@alpha.example"]["role"] == "partner_tech"
    assert users["tech@alpha.example"]["partner"] == world["partner"]
    assert users["chef@kunde.example"]["role"] == "customer_admin"
    assert users["chef@kunde.example"]["customer"] == world["customer"]
    assert users["lena@kunde.example"]["role"] == "end_user"
    assert users["lena@kunde.example"]["customer"] == world["customer"]
    assert users["lena@kunde.example"]["mailboxes"] == ["lena@kunde.example", "l.berg@kunde.example"]


def test_failures_shown_in_the_browser(browser, world):
    base = world["base"]
    # A user of another Entra tenant: back at the sign-in page with the reason, not signed in.
    context, page, _problems = _button_sign_in(browser, world, "eve@fabrikam.example")
    assert page.url.startswith(base + "/login/"), page.url
    flash = page.locator(".flash").first.inner_text()
    assert OTHER_TID in flash and "may not sign in here" in flash
    page.goto(base + "/account/")
    assert page.url.startswith(base + "/login/")
    context.close()
    assert "eve@fabrikam.example" not in _helper(world["env"], "--users")

    # A partner technician whose provider did not assert MFA still owes Kustos a second factor.
    context, page, _problems = _button_sign_in(browser, world, "tech2@alpha.example")
    assert page.url.startswith(base + "/account/2fa/setup/"), page.url
    page.goto(base + "/customers/")
    assert page.url.startswith(base + "/account/2fa/setup/")
    context.close()


if __name__ == "__main__" and "--seed" in sys.argv:
    print(json.dumps(_seed(json.loads(sys.argv[sys.argv.index("--seed") + 1]))))
elif __name__ == "__main__" and "--users" in sys.argv:
    print(json.dumps(_users()))
