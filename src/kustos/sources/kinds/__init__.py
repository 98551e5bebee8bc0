"""Source kinds: one module per kind declaring its settings and secret fields, how to build its
connector (with the egress policy), how to test a connection and discover scopes, and which
services (archive, backup) it offers. ``registry.py`` maps a kind's name to its declaration.

Dashboard forms, API schemas and CLI options are generated from these declarations; ``web/``,
``api/`` and ``cli/`` hold no kind-specific code. Framework-free: no Django, and importing a kind
never imports its connector (the CLI registers its parsers from here and must start fast).
"""
