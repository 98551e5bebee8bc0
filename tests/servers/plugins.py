"""The real-server fixture modules every test can use (each area adds its module here)."""

from __future__ import annotations

pytest_plugins: list[str] = [
    "tests.servers.dovecot",
    "tests.servers.smtp",
    "tests.servers.redis",
    "tests.servers.s3",
    "tests.servers.postgres",
    "tests.servers.openldap",
]
