"""The default mail backend: one file per connection in ``$KUSTOS_HOME/outbox`` (directory 0700,
files 0600). Unlike Django's console backend nothing reaches stdout or the logs, so password
links and invitations cannot leak through log collection. Configure SMTP to deliver mail."""

from __future__ import annotations

import os
from typing import IO, Any

from django.core.mail.backends import filebased


class OutboxBackend(filebased.EmailBackend):
    stream: IO[bytes] | None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        os.chmod(self.file_path, 0o700)

    def open(self) -> bool:
        if self.stream is None:
            fd = os.open(self._get_filename(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self.stream = os.fdopen(fd, "ab")
            return True
        return False
