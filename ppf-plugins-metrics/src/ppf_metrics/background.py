"""A value built on a thread of its own while the caller goes on (here: while Spark's JVM starts)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class InBackground(Generic[T]):
    """``build()`` runs on a daemon thread from construction; :meth:`result` waits for it.

    An exception raised by ``build`` is raised by every call of :meth:`result`.
    """

    def __init__(self, build: Callable[[], T], name: str = "ppf-metrics-setup"):
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(build,), name=name, daemon=True)
        self._thread.start()

    def _run(self, build: Callable[[], T]) -> None:
        try:
            self._value = build()
        except BaseException as error:  # handed to the caller of result()
            self._error = error

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
