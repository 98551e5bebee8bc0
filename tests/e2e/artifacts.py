"""Where browser tests put their screenshots: never into the checkout.

``KUSTOS_TEST_ARTIFACTS`` names a directory to keep them (CI or a developer looking at the
pages); otherwise they go to a directory under the system temp directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ARTIFACTS = Path(os.environ.get("KUSTOS_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "kustos-test-artifacts")
