"""Writing a directory of files without ever leaving a half-written target: stage, then rename.

Spark writes into a staging directory next to the target (same parent, so on the same file
system); only when the write has completed is the staging directory renamed into place:

* ``overwrite``: the old target is renamed aside, the staging directory renamed to the target,
  the old data deleted.  Until the first rename the target holds exactly the old data; a process
  killed between the two renames (microseconds) leaves the old data in ``.<name>.ppf-old-*``.
* ``error`` / ``ignore``: checked up front; the staging directory becomes the target.
* ``append``: the new data files are moved into the target one by one (each file is complete;
  a kill during the moves can leave a subset of the new files).

Renames go through Hadoop's ``FileSystem`` API: atomic on local disks and HDFS, a copy on object
stores such as S3 (use a table format such as Delta there).  Without a JVM (Spark Connect) the
write goes straight to the target, as Spark does it.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pyspark_pipeline_framework.core.errors import PpfError
from pyspark_pipeline_framework.spark._jvm import hadoop_file_system

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

STAGING_MARKER = ".ppf-staging-"
OLD_MARKER = ".ppf-old-"


class TargetExists(PpfError, FileExistsError):
    """``mode = error`` and the target already exists."""

    permanent = True


class CommitFailed(PpfError, OSError):
    """The file system refused to move staged output into place (a rename returned false)."""


def write_staged(spark: SparkSession, target: str, mode: str, write: Callable[[str], None]) -> None:
    """Call ``write(staging_path)`` (Spark writes with mode overwrite there), then commit to ``target``."""
    found = hadoop_file_system(spark)
    if found is None:
        write(target)  # Spark Connect: no file-system access from here
        return
    hadoop_path, hadoop_conf = found
    target_path = hadoop_path(target)
    fs = target_path.getFileSystem(hadoop_conf)
    target_path = fs.makeQualified(target_path)
    exists = fs.exists(target_path)
    if exists and mode in ("error", "errorifexists"):
        raise TargetExists(f"{target} already exists (mode = {mode}); use overwrite or append")
    if exists and mode == "ignore":
        return
    name = target_path.getName()
    parent = target_path.getParent()
    staging = hadoop_path(parent, f".{name}{STAGING_MARKER}{uuid.uuid4().hex[:12]}")
    staging_uri = staging.toString()
    try:
        write(staging_uri)
        _commit(hadoop_path, fs, staging, target_path, parent, name, mode if exists else "error")
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


def _commit(hadoop_path: Any, fs: Any, staging: Any, target: Any, parent: Any, name: str, mode: str) -> None:
    if mode == "append":
        _move_into(fs, hadoop_path, staging, target)
        return
    if mode == "overwrite":
        old = hadoop_path(parent, f".{name}{OLD_MARKER}{uuid.uuid4().hex[:12]}")
        _rename(fs, target, old)
        _rename(fs, staging, target)
        fs.delete(old, True)
        return
    _rename(fs, staging, target)


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
