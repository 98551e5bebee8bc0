"""The SMTP journaling receiver plus its spool consumer, in `kustos serve` or `kustos smtpd`."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from kustos.archive.services import journal
from kustos.config import Settings
from kustos.sources.smtp import JournalReceiver, Spool

log = logging.getLogger("kustos.smtp")


class SmtpService:
    """Receiver thread (aiosmtpd) and a drain thread that ingests the spool every second."""

    def __init__(self, settings: Settings, host: str, port: int):
        self.receiver = JournalReceiver(settings.spool_path, journal.resolve_recipient,
                                        max_bytes=settings.smtp_max_bytes, hostname=settings.smtp_domain,
                                        host=host, port=port)
        self.spool = Spool(settings.spool_path)
        self._stop = threading.Event()
        self._drainer = threading.Thread(target=self._drain_loop, name="spool-drain", daemon=True)

    @property
    def port(self) -> int:
        return self.receiver.port

    def start(self) -> SmtpService:
        self.spool.recover()
        self.receiver.start()
        self._drainer.start()
        return self

    def _drain_loop(self) -> None:
        while not self._stop.is_set():
            try:
                while journal.drain(self.spool) and not self._stop.is_set():
                    pass
            except Exception:  # keep draining; the item stays in the spool and is retried
                log.exception("spool ingest failed; will retry")
            finally:
                close_old_connections()
            self._stop.wait(1.0)

    def stop(self) -> None:
        self.receiver.stop()
        self._stop.set()
        self._drainer.join(timeout=30)


def start(settings: Settings, host: str, port: int) -> SmtpService:
    return SmtpService(settings, host, port).start()
