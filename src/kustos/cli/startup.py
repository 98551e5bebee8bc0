"""What every `kustos` command does before it runs: apply pending migrations, set the job mode.

The migration check is cheap on purpose (one query plus a directory listing per app): loading
Django's migration graph costs more than most commands, so it is only built when a migration
file on disk is not yet recorded as applied.
"""

from __future__ import annotations

import importlib.util
import io
import pkgutil

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection

from kustos.jobs import services as jobs


def migration_files() -> set[tuple[str, str]]:
    """(app label, migration name) of every migration module shipped with the installed apps."""
    found: set[tuple[str, str]] = set()
    for app in apps.get_app_configs():
        module_name = getattr(settings, "MIGRATION_MODULES", {}).get(app.label, f"{app.name}.migrations")
        if module_name is None:
            continue
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for info in pkgutil.iter_modules(spec.submodule_search_locations):
            if not info.ispkg and not info.name.startswith(("_", "~")):
                found.add((app.label, info.name))
    return found


def applied_migrations() -> set[tuple[str, str]]:
    """What the database records as applied (empty when the table does not exist yet)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            return {(app, name) for app, name in cursor.fetchall()}
    except DatabaseError:
        return set()


def migrate_if_needed() -> bool:
    """Apply pending migrations; True when ``migrate`` ran."""
    if migration_files() <= applied_migrations():
        return False
    call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
    return True


def prepare_jobs(immediate: bool) -> None:
    """CLI commands run their jobs inline; serve/worker/scheduler use the queue (applied when
    the queue is loaded, see jobs/tasks.py)."""
    jobs.set_inline(immediate)
