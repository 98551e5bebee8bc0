"""The `kustos` command. Each area registers its subcommands from its own module."""

from __future__ import annotations

import argparse
import os
import sys

from kustos.cli import archive, base, platform, sources, vault
from kustos.config import ConfigError

COMMAND_MODULES = (platform, vault, archive, sources)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kustos", description="Kustos e-mail archiving and cloud backup")
    common = base.common_parser()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = platform.boot(migrate=getattr(args, "auto_migrate", True))
        ctx = base.Context(settings, json_output=getattr(args, "json", False))
        result = args.func(ctx, args)
        base.emit(ctx, result)
        return ctx.exit_code
    except base.CLIError as exc:
        print(f"kustos: error: {exc}", file=sys.stderr)
        return exc.code
    except ConfigError as exc:
        print(f"kustos: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kustos: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
    sys.exit(main())
