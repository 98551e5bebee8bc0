"""Wall-clock budgets for attachment extraction.

Mechanism: the extractor runs in the *calling* thread (no hand-off, no thread per
attachment). A single daemon watchdog thread per process keeps the active budgets;
when one expires it raises :class:`ExtractionTimeout` asynchronously in the owning
thread with ``PyThreadState_SetAsyncExc``. The exception surfaces at the next
bytecode boundary, so any pure-Python extractor (pypdf, pdfminer, openpyxl, odfpy,
tnefparse, our own loops) is interrupted and its stack unwinds normally; nothing
keeps running in the background. ``ExtractionTimeout`` derives from BaseException so
libraries' ``except Exception`` cannot swallow it, and the watchdog re-raises every
``_RETRY`` seconds while the budget is still open in case a bare ``except:`` did.
(If it lands in a finalizer while the stack unwinds, Python reports it as
"ignored" and unwinding continues: harmless.)

Long C calls cannot be interrupted this way; we avoid them by never handing C code
unbounded input (decompression is bounded by ``max_length``/byte caps in the
extractors). Extractors also call :meth:`Budget.check` in their loops, which is
cheap and works even where async exceptions are delayed.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# After the first timeout, re-raise only this often: the stack needs time to unwind
# (finally blocks, finalizers) without being hit again; a re-raise is only for code
# that swallowed the first one.
_RETRY = 0.25
_MAX_FIRES = 40  # 10 s of re-raising after expiry, then give up


class ExtractionTimeout(BaseException):  # noqa: N818 - reads better at call sites
    """An extraction ran past its time budget."""

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__(f"extraction exceeded its time budget of {seconds:g}s")


class Budget:
    """A deadline that code can poll (:meth:`check`) and the watchdog enforces."""

    __slots__ = ("seconds", "expires", "thread_id", "closed", "fired", "fires")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.thread_id = threading.get_ident()
        self.closed = False
        self.fired = False
        self.fires = 0

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def check(self) -> None:
        """Raise ExtractionTimeout if the budget is spent."""
        if time.monotonic() > self.expires:
            raise ExtractionTimeout(self.seconds)


def _raise_in(thread_id: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(ExtractionTimeout))


def _clear_in(thread_id: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)


class _Watchdog:
    def __init__(self) -> None:
        self._reset()
        # A fork while the watchdog thread holds the lock would leave the child's copy
        # locked forever; the child starts from a fresh state instead.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._budgets: set[Budget] = set()
        self._thread: threading.Thread | None = None

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="kustos-extract-watchdog", daemon=True)
            self._thread.start()

    def add(self, budget: Budget) -> None:
        with self._lock:
            self._ensure_thread()
            self._budgets.add(budget)
            self._wake.notify()

    def remove(self, budget: Budget) -> None:
        """Close ``budget`` and cancel a timeout still pending for its thread.

        The timeout may itself arrive while we are here; then we simply try again,
        so a closed budget is always unregistered (it never fires later).
        """
        while True:
            try:
                with self._lock:
                    budget.closed = True
                    self._budgets.discard(budget)
                    if budget.fired:
                        _clear_in(budget.thread_id)  # drop a timeout still pending delivery
                return
            except ExtractionTimeout:
                continue

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                wait = 1.0
                for budget in list(self._budgets):
                    left = budget.expires - now
                    if budget.closed:  # its body is over, even if remove() never ran
                        self._budgets.discard(budget)
                    elif left > 0:
                        wait = min(wait, left)
                    elif budget.fires >= _MAX_FIRES:
                        # The owner never closed it (it cannot have survived this many
                        # timeouts inside the body): stop, rather than haunt the thread.
                        self._budgets.discard(budget)
                    else:
                        budget.fired = True
                        budget.fires += 1
                        _raise_in(budget.thread_id)
                        wait = min(wait, _RETRY)
                self._wake.wait(timeout=max(wait, 0.001))


_WATCHDOG = _Watchdog()


def active_budgets() -> int:
    """How many budgets are open in this process (diagnostics and tests)."""
    return len(_WATCHDOG._budgets)


@contextmanager
def time_budget(seconds: float) -> Iterator[Budget]:
    """Run the body with a wall-clock budget; on expiry ExtractionTimeout is raised
    inside the body (also when it is stuck in a pure-Python loop).

    The caller must catch ExtractionTimeout *outside* this context manager: the
    exception may arrive while the budget is being closed.
    """
    budget = Budget(seconds)
    _WATCHDOG.add(budget)
    try:
        yield budget
    finally:
        # A plain attribute store first: it cannot be interrupted, and from here on
        # the watchdog will not fire for this budget even if remove() is cut short.
        budget.closed = True
        _WATCHDOG.remove(budget)
