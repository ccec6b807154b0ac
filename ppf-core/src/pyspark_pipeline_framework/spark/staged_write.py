"""Writing a directory of files without ever leaving a half-written target: stage, then rename.

Spark writes into a staging directory next to the target (same parent, so on the same file
system, and never inside the target); only when the write has completed is it committed:

* the commit holds the target's **commit lock**, a marker file ``.<name>.ppf-commit`` next to the
  target created exclusively (``O_EXCL`` on local disks, ``create(overwrite = false)`` through
  Hadoop elsewhere, read back after a pause on object stores, whose create is not atomic).  Two writers of one target commit one after the other, and each decides
  what its mode means against the target as it is *at commit time*: of two first writes with
  ``mode = error`` one creates the target and the other fails with :class:`TargetExists`; with
  ``overwrite`` the second replaces the first completely.
* ``overwrite``: the old target is renamed aside, the staging directory renamed to the target,
  the old data deleted.  Until the first rename the target holds exactly the old data; a process
  killed between the two renames (microseconds) leaves the old data in ``.<name>.ppf-old-*``.
* ``error`` / ``ignore``: checked up front (to skip a useless write) and again under the lock;
  the staging directory becomes the target.
* ``append``: the new data files are moved into the target one by one (each file is complete;
  a kill during the moves can leave a subset of the new files).

Hadoop's ``rename`` onto an existing directory moves the source *into* it, so a rename that was
to create the target is verified: if a writer that does not take the lock created the target in
the meantime, the staged directory is moved back out and the commit fails instead of nesting.

Renames go through Hadoop's ``FileSystem`` API: atomic on local disks and HDFS, a copy on object
stores such as S3 (use a table format such as Delta there).  Without a JVM (Spark Connect) the
caller's ``write_in_place`` writes straight to the target with the user's mode, as Spark does it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pyspark_pipeline_framework.core.errors import PpfError
from pyspark_pipeline_framework.spark._jvm import first_line_of, hadoop_file_system, java_class_name

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

STAGING_MARKER = ".ppf-staging-"
OLD_MARKER = ".ppf-old-"
LOCK_MARKER = ".ppf-commit"
#: A commit lock older than this is taken to be left by a writer that died (a commit is renames).
STALE_LOCK_S = 3600.0
_POLL_S = 0.1
#: On file systems other than the local one, how long a new lock settles before it is read back.
_SETTLE_S = 1.0


class TargetExists(PpfError, FileExistsError):
    """``mode = error`` and the target already exists."""

    permanent = True


class CommitFailed(PpfError, OSError):
    """The file system refused to move staged output into place (a rename returned false)."""


class StagingUnavailable(PpfError, RuntimeError):
    """A staged write on a session without a driver JVM (Spark Connect), and no way to write in place."""

    permanent = True


def write_staged(
    spark: SparkSession,
    target: str,
    mode: str,
    write: Callable[[str], None],
    *,
    write_in_place: Callable[[], None] | None = None,
) -> None:
    """Call ``write(staging_path)`` (Spark writes with mode overwrite there), then commit to ``target``.

    On Spark Connect there is no file-system access from this process to stage and rename with:
    ``write_in_place()`` then writes to ``target`` with ``mode`` as Spark does it (no staging, no
    commit lock); without it :class:`StagingUnavailable` is raised (``write`` overwrites, which
    would ignore ``mode``).
    """
    found = hadoop_file_system(spark)
    if found is None:  # Spark Connect
        if write_in_place is None:
            raise StagingUnavailable(
                f"writing {target} needs a staging directory, which a Spark Connect session cannot rename into place",
                hint="run the pipeline with a Spark driver in this process (spark.master), or use a table sink",
            )
        write_in_place()
        return
    hadoop_path, hadoop_conf = found
    read_lock = functools.partial(first_line_of, spark)
    target_path = hadoop_path(target)
    fs = target_path.getFileSystem(hadoop_conf)
    target_path = fs.makeQualified(target_path)
    if _skipped(fs, target_path, target, mode):
        return
    name = target_path.getName()
    parent = target_path.getParent()
    staging = hadoop_path(parent, f".{name}{STAGING_MARKER}{uuid.uuid4().hex[:12]}")
    staging_uri = staging.toString()
    try:
        write(staging_uri)
        with _commit_lock(fs, hadoop_path(parent, f".{name}{LOCK_MARKER}"), read_lock):
            if _skipped(fs, target_path, target, mode):  # another writer created it meanwhile
                return
            _commit(hadoop_path, fs, staging, target_path, parent, name, mode)
    finally:
        _remove_staging(fs, staging, staging_uri)


def _remove_staging(fs: Any, staging: Any, staging_uri: str) -> None:
    try:
        if fs.exists(staging):
            fs.delete(staging, True)
    except Exception:
        # The JVM is gone (a SIGTERM sent to the whole process group reached it too): a staging
        # directory on the local disk is removed from here; elsewhere it stays, hidden, safe to delete.
        if staging_uri.startswith("file:"):
            shutil.rmtree(urlparse(staging_uri).path, ignore_errors=True)


def _skipped(fs: Any, target_path: Any, target: str, mode: str) -> bool:
    """``True`` for ``ignore`` and an existing target; :class:`TargetExists` for ``error``."""
    if not fs.exists(target_path):
        return False
    if mode in ("error", "errorifexists"):
        raise TargetExists(f"{target} already exists (mode = {mode}); use overwrite or append")
    return mode == "ignore"


def _commit(hadoop_path: Any, fs: Any, staging: Any, target: Any, parent: Any, name: str, mode: str) -> None:
    exists = fs.exists(target)
    if exists and mode == "append":
        _move_into(fs, hadoop_path, staging, target)
        return
    if exists and mode == "overwrite":
        old = hadoop_path(parent, f".{name}{OLD_MARKER}{uuid.uuid4().hex[:12]}")
        _rename(fs, target, old)
        _rename_to_new(fs, hadoop_path, staging, target)
        fs.delete(old, True)
        return
    _rename_to_new(fs, hadoop_path, staging, target)


def _rename_to_new(fs: Any, hadoop_path: Any, staging: Any, target: Any) -> None:
    """Rename ``staging`` to ``target``, which must not exist; never leave it nested inside ``target``."""
    _rename(fs, staging, target)
    nested = hadoop_path(target, staging.getName())
    if fs.exists(nested):  # the target appeared after the check: Hadoop moved the staging dir into it
        fs.rename(nested, staging)
        raise CommitFailed(
            f"{target.toString()} was created by another writer while this write committed; "
            "nothing was changed (writers of one target should all be ppf file sinks, which take turns)"
        )


def _move_into(fs: Any, hadoop_path: Any, source_dir: Any, target_dir: Any) -> None:
    """Move the data files of ``source_dir`` into ``target_dir``, merging partition directories."""
    for status in fs.listStatus(source_dir):
        name = status.getPath().getName()
        if name.startswith(("_", ".")):  # _SUCCESS, checksums: not data
            continue
        destination = hadoop_path(target_dir, name)
        if status.isDirectory() and fs.exists(destination):
            _move_into(fs, hadoop_path, status.getPath(), destination)
        else:
            _rename(fs, status.getPath(), destination)


def _rename(fs: Any, source: Any, destination: Any) -> None:
    if not fs.rename(source, destination):
        raise CommitFailed(f"could not rename {source.toString()} to {destination.toString()}")


@contextlib.contextmanager
def _commit_lock(fs: Any, lock: Any, read_lock: Callable[[str], str | None]) -> Iterator[None]:
    """Hold the target's commit lock: wait while another live writer holds it, break it if stale."""
    owner = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "at": time.time(), "id": uuid.uuid4().hex})
    while not _try_lock(fs, lock, owner, read_lock):
        if _is_stale(fs, lock):
            # Two waiters breaking one stale lock at the same instant could both take it; a stale
            # lock exists only when a writer died during its commit, so that is accepted here.
            _unlock(fs, lock)
        else:
            time.sleep(_POLL_S)
    try:
        yield
    finally:
        _unlock(fs, lock)


def _local(fs: Any, path: Any) -> str | None:
    """The OS path of a file on the local file system (where Python's ``O_EXCL`` is exact)."""
    return path.toUri().getPath() if fs.getUri().getScheme() == "file" else None


def _try_lock(fs: Any, lock: Any, owner: str, read_lock: Callable[[str], str | None]) -> bool:
    local = _local(fs, lock)
    if local is not None:
        try:
            handle = os.open(local, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(owner)
        return True
    try:
        stream = fs.create(lock, False)
        try:
            stream.write(bytearray(owner.encode()))
        finally:
            stream.close()  # an object store with conditional writes refuses an existing key here
    except Exception as error:
        if java_class_name(error).endswith("FileAlreadyExistsException"):
            return False
        raise
    # An object store may check for the key and write it in two requests: two writers can both
    # "create" it, and the later write wins.  After a pause longer than that gap, only the writer
    # whose content is there holds the lock; the other waits like any other.
    time.sleep(_SETTLE_S)
    return read_lock(lock.toString()) == owner


def _is_stale(fs: Any, lock: Any) -> bool:
    """The lock's writer died: a process of this host that no longer runs, or a lock too old."""
    local = _local(fs, lock)
    try:
        if local is not None:
            with open(local, encoding="utf-8") as handle:
                owner = json.loads(handle.read() or "{}")
            if owner.get("host") == socket.gethostname() and not _alive(int(owner.get("pid", 0))):
                return True
            return time.time() - os.stat(local).st_mtime > STALE_LOCK_S
        modified_ms = fs.getFileStatus(lock).getModificationTime()
        return time.time() - modified_ms / 1000 > STALE_LOCK_S
    except (FileNotFoundError, ValueError):
        return False  # released (or being written) just now: try again
    except Exception as error:  # Hadoop's FileNotFoundException through py4j
        if java_class_name(error).endswith("FileNotFoundException"):
            return False
        raise


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _unlock(fs: Any, lock: Any) -> None:
    local = _local(fs, lock)
    if local is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(local)
    else:
        fs.delete(lock, False)
