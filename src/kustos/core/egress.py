"""The installation's egress policy for sources, from the one Settings object.

Kept apart from the archive's source service so backup runs and restores get it without
loading the archive's ingest stack.
"""

from __future__ import annotations

from django.conf import settings as django_settings

from kustos.sources.egress import EgressPolicy


def egress_policy() -> EgressPolicy:
    """The policy as configured now (read at every use, so tests and reloads see changes)."""
    settings = django_settings.KUSTOS
    return EgressPolicy.from_values(settings.sources_allow_private_networks, settings.sources_allowed_networks)
