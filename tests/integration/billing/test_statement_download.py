"""The billing statement through the CLI (`kustos billing csv|show`), the REST API
(`/api/v1/billing/{month}.csv` and JSON) and the dashboard page "Billing": the same bytes as the
independent computation, the partner scope (a partner admin reads only its own partner; partner
technicians, customer admins and others get 403), missing prices and bad months as clear errors."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.billing.models import Price
from kustos.cli import registry as cli
from tests import factories
from tests.integration.billing.statement_world import HEADER, YEAR, World, expected_rows, parse
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db


class Actors:
    def __init__(self, world: World) -> None:
        alpha, beta = world.partners["alpha"], world.partners["beta"]
        customer = factories.customer(alpha, "Echter Kunde")
        self.users = {
            "op": factories.user("op@kustos.example", "operator", totp=True),
            "pa": factories.user("pa@alpha.example", "partner_admin", partner=alpha, totp=True),
            "pb": factories.user("pb@beta.example", "partner_admin", partner=beta, totp=True),
            "pt": factories.user("pt@alpha.example", "partner_tech", partner=alpha, totp=True),
            "ca": factories.user("ca@kunde.example", "customer_admin", customer=customer),
            "eu": factories.user("eu@kunde.example", "end_user", customer=customer),
        }
        self.tokens = {k: tokens.create(u, "t")[1] for k, u in self.users.items()}

    def api(self, who: str, path: str, **params):
        return Client().get(path, params, HTTP_AUTHORIZATION=f"Bearer {self.tokens[who]}")

    def web(self, who: str) -> Client:
        return sign_in(Client(), self.users[who])


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def actors(world: World) -> Actors:
    return Actors(world)


def _expected(month: int, scope: str | None) -> list[list[str]]:
    return [HEADER, *expected_rows(YEAR, month, scope)]


def _table(data: bytes) -> list[list[str]]:
    header, rows = parse(data.decode("utf-8"))
    return [header, *rows]


def cli_run(capsys, monkeypatch, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- CLI ---------------------------------------------------------------------------------

def test_cli_writes_the_csv_per_partner_and_for_all(world, capsys, monkeypatch, tmp_path):
    target = tmp_path / "alpha.csv"
    code, _, err = cli_run(capsys, monkeypatch, "billing", "csv", "--month", f"{YEAR}-09", "--partner",
                           "Alpha Systemhaus", "-o", str(target))
    assert code == 0, err
    assert _table(target.read_bytes()) == _expected(9, "alpha")
    code, out, err = cli_run(capsys, monkeypatch, "billing", "csv", "--month", f"{YEAR}-02", "-o", "-")
    assert code == 0, err
    assert _table(out.encode()) == _expected(2, None)
    code, out, err = cli_run(capsys, monkeypatch, "billing", "show", "--month", f"{YEAR}-12", "--partner",
                             world.partners["beta"].id, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["columns"] == HEADER
    assert [[r[c] for c in HEADER] for r in doc["rows"]] == expected_rows(YEAR, 12, "beta")
    cents = sum(int(r[7].replace(".", "")) for r in expected_rows(YEAR, 12, "beta"))
    assert doc["total"] == f"{cents // 100}.{cents % 100:02d}"


def test_cli_errors_are_one_line_with_exit_1(world, capsys, monkeypatch, tmp_path):
    code, out, err = cli_run(capsys, monkeypatch, "billing", "show", "--month", "2025-13", "--json")
    assert code == 1 and "YYYY-MM" in err and err.count("\n") == 1
    code, out, err = cli_run(capsys, monkeypatch, "billing", "csv", "--month", f"{YEAR}-01", "--partner", "Gamma",
                             "-o", str(tmp_path / "x.csv"))
    assert code == 1 and "no partner" in err and not (tmp_path / "x.csv").exists()
    Price.objects.filter(service="archive").delete()
    code, out, err = cli_run(capsys, monkeypatch, "billing", "csv", "--month", f"{YEAR}-05", "-o",
                             str(tmp_path / "y.csv"))
    assert code == 1 and "no price for service 'archive' and unit 'GB'" in err and err.count("\n") == 1
    assert not (tmp_path / "y.csv").exists()


# --- API ---------------------------------------------------------------------------------

def test_api_csv_for_operator_and_partner_admins(actors):
    resp = actors.api("op", f"/api/v1/billing/{YEAR}-06.csv")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert "attachment" in resp["Content-Disposition"]
    assert _table(resp.content) == _expected(6, None)
    beta = actors.users["pb"].partner_id
    assert _table(actors.api("op", f"/api/v1/billing/{YEAR}-06.csv", partner=beta).content) == _expected(6, "beta")
    assert _table(actors.api("pa", f"/api/v1/billing/{YEAR}-06.csv").content) == _expected(6, "alpha")
    assert _table(actors.api("pb", f"/api/v1/billing/{YEAR}-11.csv").content) == _expected(11, "beta")
    doc = actors.api("pa", f"/api/v1/billing/{YEAR}-03").json()
    assert doc["month"] == f"{YEAR}-03" and [[r[c] for c in HEADER] for r in doc["rows"]] == expected_rows(YEAR, 3, "alpha")
    doc = actors.api("op", f"/api/v1/billing/{YEAR}-03").json()
    assert [[r[c] for c in HEADER] for r in doc["rows"]] == expected_rows(YEAR, 3, None)
    assert [r["partner_name"] for r in doc["rows"]] == sorted(r["partner_name"] for r in doc["rows"])
    assert {r["partner_id"] for r in doc["rows"]} == {actors.users["pa"].partner_id, beta}


def test_api_refuses_other_partners_and_other_roles(actors):
    beta = actors.users["pb"].partner_id
    resp = actors.api("pa", f"/api/v1/billing/{YEAR}-06.csv", partner=beta)
    assert resp.status_code == 403 and "Dora" not in resp.content.decode()
    assert actors.api("pa", f"/api/v1/billing/{YEAR}-06", partner=beta).status_code == 403
    for who in ("pt", "ca", "eu"):
        assert actors.api(who, f"/api/v1/billing/{YEAR}-06.csv").status_code == 403, who
        assert actors.api(who, f"/api/v1/billing/{YEAR}-06").status_code == 403, who
    assert actors.api("op", f"/api/v1/billing/{YEAR}-06.csv", partner="pa_nonexistent").status_code == 404
    assert Client().get(f"/api/v1/billing/{YEAR}-06.csv").status_code == 401


def test_api_errors(actors):
    resp = actors.api("op", "/api/v1/billing/2025-1.csv")
    assert resp.status_code == 422 and "YYYY-MM" in resp.json()["detail"]
    Price.objects.filter(service="backup").delete()
    resp = actors.api("op", f"/api/v1/billing/{YEAR}-07.csv")
    assert resp.status_code == 409
    assert "no price for service 'backup' and unit 'account'" in resp.json()["detail"]
    assert actors.api("op", f"/api/v1/billing/{YEAR}-07").status_code == 409


# --- dashboard -----------------------------------------------------------------------------

def test_dashboard_page_preview_totals_and_download(actors):
    admin = actors.web("pa")
    page = admin.get("/billing/", {"month": f"{YEAR}-09"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Customer data (name, legal name) is used only to attribute billing." in html
    assert 'href="/help/trials-and-billing/" data-testid="help-link"' in html
    assert "Cäsar Kommanditgesellschaft, Köln" in html and "Dora" not in html  # own partner only
    rows = expected_rows(YEAR, 9, "alpha")
    cents = sum(int(r[7].replace(".", "")) for r in rows)
    assert f'data-testid="billing-total">{cents // 100}.{cents % 100:02d}<' in html
    assert "/billing/csv/?month=2025-09" in html
    download = admin.get("/billing/csv/", {"month": f"{YEAR}-09"})
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert _table(download.content) == _expected(9, "alpha")
    nav = admin.get("/").content.decode()
    assert 'href="/billing/"' in nav


def test_dashboard_operator_picks_a_partner_or_all(actors):
    op = actors.web("op")
    beta = actors.users["pb"].partner_id
    html = op.get("/billing/", {"month": f"{YEAR}-12", "partner": beta}).content.decode()
    assert "Dora" in html and "Anton" not in html and 'id="id_partner"' in html
    everyone = op.get("/billing/", {"month": f"{YEAR}-12"}).content.decode()
    assert "<td>Alpha Systemhaus</td>" in everyone and "<td>Beta IT</td>" in everyone  # which partner a row bills
    assert "<td>Beta IT</td>" not in html
    assert _table(op.get("/billing/csv/", {"month": f"{YEAR}-12"}).content) == _expected(12, None)
    assert _table(op.get("/billing/csv/", {"month": f"{YEAR}-12", "partner": beta}).content) == _expected(12, "beta")


def test_dashboard_refusals_and_errors(actors):
    beta = actors.users["pb"].partner_id
    assert actors.web("pa").get("/billing/csv/", {"month": f"{YEAR}-06", "partner": beta}).status_code == 403
    assert actors.web("pa").get("/billing/", {"month": f"{YEAR}-06", "partner": beta}).status_code == 403
    for who in ("pt", "ca", "eu"):
        assert actors.web(who).get("/billing/").status_code == 403, who
        assert 'href="/billing/"' not in actors.web(who).get("/").content.decode(), who
    op = actors.web("op")
    bad = op.get("/billing/", {"month": "2025-13"})
    assert bad.status_code == 200 and "month must be YYYY-MM" in bad.content.decode()
    assert op.get("/billing/csv/", {"month": "2025-13"}).status_code == 422
    Price.objects.all().delete()
    page = op.get("/billing/", {"month": f"{YEAR}-04"}).content.decode()
    assert "no price for service" in page and 'data-testid="billing-error"' in page
    assert op.get("/billing/csv/", {"month": f"{YEAR}-04"}).status_code == 409


def test_dashboard_page_in_german(actors):
    html = actors.web("pa").get("/billing/", {"month": f"{YEAR}-09"}, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Kundendaten (Name, Firmenname) werden ausschließlich zur Zuordnung der Abrechnung verwendet." in html
    assert "CSV herunterladen" in html and "Abrechnung" in html
    assert "Während einer Testphase wird nichts berechnet" in html
