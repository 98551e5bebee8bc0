"""Set-up shared by the benchmarks' Kustos child processes (each runs as its own process tree)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def setup_django(home: Path) -> None:
    """Configure Django for a Kustos home, as the `kustos` command does at start."""
    os.environ["KUSTOS_HOME"] = str(home)
    os.environ.setdefault("KUSTOS_MASTER_KEY", "b" * 64)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kustos.django_settings"
    sys.path.insert(0, str(REPO / "src"))
    from kustos.core import malloc  # noqa: PLC0415  (src/ is on the path only now)

    malloc.limit_arenas()
    import django  # noqa: PLC0415

    django.setup()


def migrate(home: Path) -> None:
    """Create the database in a process of its own: an installed Kustos imports into a database
    set up long before, and migrating would leave the migration graph in the measured process."""
    setup_django(home)
    from django.core.management import call_command  # noqa: PLC0415

    call_command("migrate", verbosity=0)
