"""SIGTERM and SIGINT during a run: the first asks the run to end in order, a second ends the process.

What "in order" means is the run's own business: a batch run cancels its Spark jobs, runs no
further step and ends as ``cancelled`` (exit 128 + the signal's number); a streaming run lets the
micro-batch in progress commit and ends as ``stopped``.  The handler itself only notes the request
(a signal handler runs between two bytecodes of the main thread, possibly inside a call into the
JVM, so it never calls Spark); the run polls :attr:`StopSignals.requested` and acts on it.

A second signal ends the process at once, by that signal, unless the run said it is waiting for
something it can still cut short itself (:attr:`StopSignals.stopping`, a streaming run's graceful
stop): then it is noted as :attr:`StopSignals.cancel` and the run cancels in order.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

#: The signals a run handles: what Kubernetes, systemd and Airflow send, and Ctrl-C.
HANDLED = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """The stop requests (SIGTERM, SIGINT) a run has received; installed by whoever owns the process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, requested: threading.Event | None = None):
        self._clock = clock
        #: Set by the handlers, or by the caller's own event (``run_pipeline(stop=...)``), from any thread.
        self.requested = requested if requested is not None else threading.Event()
        #: What stopped the run when no signal did (:meth:`interrupt`).
        self._cause: str | None = None
        #: The signal of the first request (``None`` while none came, or for a request made in code).
        self.first_signal: int | None = None
        self.requested_at: float | None = None
        #: A second signal arrived while the run was :attr:`stopping`: cancel what is left.
        self.cancel = False
        #: Set by a run that handles a second signal itself (a streaming run waiting for its batch).
        self.stopping = False
        self._previous: dict[int, Any] = {}

    def request(self, signum: int | None = None) -> None:
        """A stop request (what the handler calls): the first is noted, a second cancels or ends the process."""
        if self.requested.is_set():
            self.cancel = True
            if not self.stopping:  # nobody waits for anything that could be cut short in order
                self.end_process(signum)
        else:
            self.first_signal = signum
            self.requested_at = self._clock()
        self.requested.set()

    def interrupt(self, cause: str, signum: int | None = None) -> None:
        """An exception was raised into the run's thread (a scheduler's timeout; Ctrl-C where ppf does
        not handle signals): the run stops as on a request, ``cause`` naming it in the record."""
        if not self.requested.is_set():
            self._cause = cause
            self.first_signal = signum
            self.requested_at = self._clock()
        self.requested.set()

    def install(self) -> None:
        """Handle SIGTERM and SIGINT from now on (main thread only).

        Call again once the Spark session exists: pyspark installs its own SIGINT handler when its
        context starts (it cancels every job and raises ``KeyboardInterrupt`` in whatever the main
        thread is doing).  The handlers found at the first call are the ones :meth:`restore` puts back.
        """
        for signum in HANDLED:
            previous = signal.signal(signum, self._handle)
            self._previous.setdefault(signum, previous)

    def _handle(self, signum: int, _frame: Any) -> None:
        self.request(signum)

    @property
    def signal_name(self) -> str:
        """``"SIGTERM"`` or ``"SIGINT"``: the first signal's name (SIGTERM for a request made in code)."""
        return signal.Signals(self.signal_number).name

    @property
    def cause(self) -> str:
        """What asked the run to stop: ``"SIGTERM"``, ``"KeyboardInterrupt"``, ``"a stop request"`` (in code)."""
        if self._cause is not None:
            return self._cause
        return self.signal_name if self.first_signal is not None else "a stop request"

    @property
    def signal_number(self) -> int:
        """The first signal's number; SIGTERM's for a request made in code."""
        return int(self.first_signal or signal.SIGTERM)

    def end_process(self, signum: int | None = None) -> None:
        """End the process by the (first) signal, as it would have ended without a handler."""
        number = self.first_signal or signum or signal.SIGTERM
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)

    def restore(self) -> None:
        """Put back the handlers found when :meth:`install` was first called."""
        for signum, handler in self._previous.items():
            # None: a handler not installed from Python, which cannot be put back; the default stands in.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._previous.clear()
