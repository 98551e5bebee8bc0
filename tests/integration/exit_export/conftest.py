"""Fixtures of the exit export tests (``exit_world`` and the local ``tsa``)."""

from tests.integration.compliance.evidence_world import tsa  # noqa: F401 - fixture
from tests.integration.exit_export.world import exit_world  # noqa: F401 - fixture
