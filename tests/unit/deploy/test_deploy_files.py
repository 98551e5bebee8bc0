"""The deployment files in deploy/ start commands that exist and accept their flags.

Every systemd unit's ExecStart and every Kustos service's ``command:`` in deploy/compose.yaml goes
through the real `kustos` argument parser (no network, no docker); the environment they set names only
settings Kustos knows; the units carry the hardening options and the layout of the README's
scale-out section (two web, three workers, one scheduler, two receivers) is what compose starts.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from kustos.cli import registry
from kustos.config import Settings, load_settings
from kustos.core.lazy import resolve

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
KUSTOS_BIN = "/opt/kustos/venv/bin/kustos"
HARDENING = {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes", "ProtectHome": "yes",
             "PrivateDevices": "yes", "UMask": "0077", "User": "kustos"}
KNOWN_ENV = {"KUSTOS_HOME", "KUSTOS_CONFIG"} | {"KUSTOS_" + f.name.upper() for f in fields(Settings)
                                               if f.name not in {"home", "extra"}}


def unit_sections(path: Path) -> dict[str, dict[str, list[str]]]:
    """systemd's format: sections, keys that may repeat, comments with # or ;."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"{path.name}: not a unit line: {line!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def parse(argv: list[str]) -> argparse.Namespace:
    """The real CLI parser; an unknown command or flag is a test failure naming it."""
    parser = registry.build_parser()
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"`kustos {' '.join(argv)}` is refused by the kustos parser (exit {exc.code})")


def unit_argv(path: Path) -> list[str]:
    (exec_start,) = unit_sections(path)["Service"]["ExecStart"]
    words = shlex.split(exec_start.replace("%i", "2525" if "smtpd" in path.name else "8001"))
    assert words[0] == KUSTOS_BIN, f"{path.name}: ExecStart runs {words[0]}, not {KUSTOS_BIN}"
    return words[1:]


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def kustos_services() -> dict[str, dict]:
    return {name: svc for name, svc in compose()["services"].items() if svc.get("image") == "kustos:latest"}


def test_the_units_and_the_compose_file_are_there() -> None:
    assert sorted(p.name for p in UNITS) == ["kustos-migrate.service", "kustos-scheduler.service",
                                            "kustos-smtpd@.service", "kustos-web@.service",
                                            "kustos-worker@.service"]
    assert set(kustos_services()) == {"migrate", "web-1", "web-2", "worker", "scheduler", "smtpd-1", "smtpd-2"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_every_unit_starts_a_command_that_accepts_its_flags(unit: Path) -> None:
    argv = unit_argv(unit)
    args = parse(argv)
    assert args.command == argv[0]
    handler = resolve(args.func.target)  # the implementation the command runs exists
    assert callable(handler) and handler.__name__ == f"cmd_{argv[0]}"


def test_the_units_start_the_scale_out_commands() -> None:
    by_unit = {p.name: unit_argv(p) for p in UNITS}
    assert by_unit["kustos-web@.service"][:3] == ["serve", "--no-smtp", "--no-scheduler"]
    web = parse(by_unit["kustos-web@.service"])
    assert web.port == 8001 and web.no_scheduler  # %i is the port; periodic tasks only in the scheduler
    assert by_unit["kustos-worker@.service"][0] == "worker"
    assert by_unit["kustos-scheduler.service"] == ["scheduler"]
    smtpd = parse(by_unit["kustos-smtpd@.service"])
    assert smtpd.command == "smtpd" and smtpd.port == 2525 and smtpd.host == "0.0.0.0"
    assert by_unit["kustos-migrate.service"] == ["migrate"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_every_unit_is_hardened_and_reads_the_shared_environment(unit: Path) -> None:
    service = unit_sections(unit)["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == [value], f"{unit.name}: {key}={value} missing"
    assert service["ReadWritePaths"] == ["/var/lib/kustos"] and service["StateDirectory"] == ["kustos"]
    assert service["EnvironmentFile"] == ["/etc/kustos/kustos.env"]
    assert service["Environment"] == ["KUSTOS_HOME=/var/lib/kustos"]
    caps = service["CapabilityBoundingSet"]
    assert caps == (["CAP_NET_BIND_SERVICE"] if "smtpd" in unit.name else [""]), f"{unit.name}: {caps}"
    if unit.name != "kustos-migrate.service":  # the long-running ones come back after a crash
        assert service["Restart"] == ["always"]
        assert unit_sections(unit)["Unit"]["After"][0].startswith("kustos-migrate.service")


@pytest.mark.parametrize("name", ["migrate", "web-1", "web-2", "worker", "scheduler", "smtpd-1", "smtpd-2"])
def test_every_compose_command_is_accepted_by_the_kustos_parser(name: str) -> None:
    command = kustos_services()[name]["command"]
    assert isinstance(command, list), f"{name}: command must be an exec list"
    args = parse(command)
    assert args.command == command[0] and callable(resolve(args.func.target))


def test_compose_runs_the_readme_layout_with_the_units_commands() -> None:
    services = kustos_services()
    units = {p.name: unit_argv(p) for p in UNITS}
    assert services["worker"]["deploy"]["replicas"] == 3
    assert services["worker"]["command"] == units["kustos-worker@.service"]
    assert services["scheduler"]["command"] == units["kustos-scheduler.service"] == ["scheduler"]
    assert "replicas" not in services["scheduler"].get("deploy", {})  # exactly one scheduler
    for web in ("web-1", "web-2"):
        assert services[web]["command"][:3] == units["kustos-web@.service"][:3] == ["serve", "--no-smtp", "--no-scheduler"]
    for smtpd in ("smtpd-1", "smtpd-2"):
        assert services[smtpd]["command"][0] == units["kustos-smtpd@.service"][0] == "smtpd"
    everything = compose()["services"]
    assert {"postgres", "redis", "minio"} <= set(everything)
    for name, svc in services.items():
        env = svc["environment"]
        assert env["KUSTOS_SEARCH_BACKEND"] == "postgres", name  # one tantivy index cannot be shared
        assert env["KUSTOS_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["KUSTOS_DATABASE_URL"]
        assert env["KUSTOS_REDIS_URL"] == "redis://redis:6379/0"
        assert env["KUSTOS_VAULT_URL"].startswith("s3://") and env["KUSTOS_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert "kustos-home:/var/lib/kustos" in svc["volumes"]
        if name != "migrate":
            assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def env_file() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "kustos.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"kustos.env.example: not KEY=value: {line!r}"
            values[key] = value
    return values


def test_the_environment_names_only_settings_kustos_knows() -> None:
    names = set(env_file())
    for svc in kustos_services().values():
        names |= set(svc["environment"])
    assert names - KNOWN_ENV == set()
    assert env_file()["KUSTOS_SEARCH_BACKEND"] == "postgres"


def test_the_example_environment_loads_and_is_refused_until_its_secrets_are_set(tmp_path: Path) -> None:
    """The example is a valid configuration once the placeholders are replaced (production checks pass)."""
    env = {**env_file(), "KUSTOS_HOME": str(tmp_path)}
    with pytest.raises(Exception, match="KUSTOS_MASTER_KEY"):
        load_settings(env)  # the placeholder master key is refused in production mode
    env.update(KUSTOS_SECRET_KEY="s" * 8 + "0123456789abcdefghijklmnopqrstuvwxyz",
               KUSTOS_MASTER_KEY="8f0e6a1b9c2d7e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f")
    settings = load_settings(env)
    assert settings.production and settings.uses_postgres and settings.effective_search_backend == "postgres"
    assert settings.vault_url == "s3://kustos-vault/archive" and settings.redis_url.startswith("redis://")


def test_the_readme_scale_out_section_points_to_the_deployment_files() -> None:
    readme = (DEPLOY.parent / "README.md").read_text()
    section = readme.split("## Scale-out", 1)[1].split("\n## ", 1)[0]
    for name in ("deploy/systemd/", "deploy/compose.yaml", "deploy/kustos.env.example", "KUSTOS_SEARCH_BACKEND=postgres"):
        assert name in section
    for unit in UNITS:
        assert unit.name.split("@")[0].removesuffix(".service") in section

