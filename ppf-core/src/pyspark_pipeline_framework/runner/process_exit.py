"""Ending the ``ppf`` process without the interpreter's teardown.

Once a command is done, Python would spend a few tenths of a second freeing the objects of every
module it imported (pyspark, py4j, pyhocon, OpenTelemetry...) one by one, work the operating
system does at once when the process ends.  The command line instead does what the interpreter's
exit does that matters to anyone, in the same order, and then ends the process directly:

1. waits for the threads that are not daemons (after telling thread pools to finish);
2. runs the exit handlers (``atexit``; among them ``logging.shutdown``);
3. flushes every file object still open, and standard output and error.
"""

from __future__ import annotations

import atexit
import gc
import io
import os
import sys
import threading
from typing import NoReturn

# What the interpreter itself calls first on exit: runs `threading._register_atexit` callbacks
# (thread pools stop taking work) and joins every non-daemon thread.  Private, so looked up.
_join_threads = getattr(threading, "_shutdown", None)


def exit_code(exit_: SystemExit) -> int:
    """The status ``SystemExit`` stands for, as the interpreter maps it (a message means 1)."""
    code = exit_.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def exit_process(code: int) -> NoReturn:
    """End the process with ``code``, skipping only the interpreter's freeing of memory."""
    if _join_threads is None:  # an interpreter without it: the ordinary exit
        sys.exit(code)
    _join_threads()
    atexit._run_exitfuncs()
    _flush_open_files()
    os._exit(code)


def _flush_open_files() -> None:
    """Flush what finalizing the file objects would have flushed (a plugin's unclosed file, say)."""
    for stream in (sys.stdout, sys.stderr):
        _flush(stream)
    for obj in gc.get_objects():
        if isinstance(obj, io.IOBase):
            _flush(obj)


def _flush(stream: object) -> None:
    try:
        if stream is not None and not stream.closed:  # type: ignore[attr-defined]
            stream.flush()  # type: ignore[attr-defined]
    except Exception:  # a broken pipe or a closed descriptor: nothing left to save
        pass
