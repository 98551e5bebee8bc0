"""The `kustos` command.

Django is configured before the command modules are imported (they use models at
module level), so ``main`` imports the registry after ``django.setup()``.
"""

from __future__ import annotations

import os
import sys

import django

from kustos.config import ConfigError
from kustos.core import malloc


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # everything Kustos writes (vault, index, spool, exports, keys) is private
    malloc.limit_arenas()  # before any thread starts: see kustos.core.malloc
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
    try:
        django.setup()
    except ConfigError as exc:
        print(f"kustos: configuration error: {exc}", file=sys.stderr)
        return 2
    from kustos.cli import registry  # noqa: PLC0415  (needs the app registry ready)

    return registry.run(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
