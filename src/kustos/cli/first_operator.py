"""The first operator account, created by the first `kustos serve` on an empty database.

Its generated password is a one-time password: it signs in exactly once and the dashboard
then insists on a new password before anything else. The password is shown on the terminal
only (never through `logging`); when stdout is not a terminal (a service manager, a pipe into
a log collector) it is written to a 0600 file under KUSTOS_HOME and only that file's path is
printed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kustos.accounts.models import User
from kustos.accounts.roles import Role
from kustos.accounts.services import users
from kustos.accounts.services.passwords import FIRST_OPERATOR_PASSWORD_FILE
from kustos.cli.base import Context

EMAIL = "admin@kustos.local"
def password_file(home: Path) -> Path:
    return home / FIRST_OPERATOR_PASSWORD_FILE


def _write_private(path: Path, text: str) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def ensure(ctx: Context) -> User | None:
    """Create the operator if there is none; returns it (None when one existed)."""
    if User.objects.filter(role=Role.OPERATOR).exists():
        return None
    password = users.generate_password()
    user = users.create(EMAIL, "operator", password=password, actor="serve", one_time_password=True)
    if sys.stdout.isatty():
        ctx.out.print(f"First start: operator account [bold]{user.email}[/] with one-time password "
                      f"[bold]{password}[/] — sign in now; you will choose a new password and set up "
                      "two-factor authentication.", highlight=False, soft_wrap=True)
    else:
        path = password_file(ctx.settings.home)
        _write_private(path, f"{user.email}\n{password}\n")
        ctx.out.print(f"First start: operator account {user.email}; its one-time password is in {path} "
                      "(readable by this user only; it works for the first sign-in only).", highlight=False, soft_wrap=True)
    return user
