"""Whether a run recorded as ``running`` still lives: a lock its process holds until the run ends.

The process of a run holds an exclusive ``flock`` on ``<run id>.lock`` in the ledger directory from
before its record is first written until after its last write.  The operating system releases the
lock when the process ends however it ends (SIGKILL, the OOM killer, a crash), so a later reader
that finds the record ``running`` and the lock free knows the run died.  On Linux, ``flock`` on
NFS is carried over to the server (as a POSIX lock), so this works for a ledger shared by hosts too.

The lock file is opened close-on-exec (Python's default), so the Spark JVM the run starts never
inherits it and cannot keep a dead run looking alive.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class RunLock:
    """The lock a run's process holds on its ledger entry while the run lives."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock; :class:`BlockingIOError` when another process holds it (a run id used twice)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Give the lock up and remove its file (the run's record is final by now)."""
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)  # closing the last descriptor releases the lock
        self._fd = None


def held_by_a_live_process(path: Path) -> bool:
    """Whether some process holds the lock at ``path`` now (``False`` when there is no such file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:  # not ours to read: the run cannot be said to be dead, so it is taken as alive
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases the shared lock taken just now, if it was
    return False
