"""Run state on S3: the run ledger, its run locks, step checkpoints and circuit-breaker state files.

Registered in the ``ppf.state_storage`` entry-point group for ``s3``, ``s3a`` and ``s3n``, so
``ppf run --ledger-dir s3a://bucket/ppf/runs`` and ``state_file = "s3a://bucket/breakers.json"`` work.
The driver's Python reads and writes the state with boto3 (before any JVM starts, and the same
over Spark Connect); Spark writes the step checkpoints at the same URLs through S3A.  Both take the
endpoint, region and credentials from the standard AWS settings: ``AWS_ENDPOINT_URL_S3`` or
``AWS_ENDPOINT_URL`` (then path-style addressing, as :func:`ppf_aws.spark_settings.s3_conf` sets
for S3A), ``AWS_REGION``, and the default credential chain (environment keys, ``AWS_PROFILE``,
instance or pod role).

Atomicity comes from S3 itself: a PUT replaces an object atomically; an update is a conditional
PUT (``If-Match`` on the ETag read, ``If-None-Match: *`` for a new object) retried when another
writer came first.  S3 has no lock that dies with its process, so a run lock is a lease: an object
created with ``If-None-Match: *`` naming its holder and an expiry, renewed by a daemon thread every
third of the lease.  A lock past its expiry belongs to a dead process: it reads as free, and a new
holder takes it over with ``If-Match`` (only one of two contenders can).  So a killed run reads as
``running`` for up to one lease (60 s) before it reads as ``died``; clocks of the hosts sharing a
ledger must agree to well within that.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from pyspark_pipeline_framework.core.errors import EnvironmentProblem

from .spark_settings import hadoop_aws_package, s3_conf

#: How long a run lock outlives the last renewal of its holder.
DEFAULT_LEASE_S = 60.0
#: Conditional writes that lost to another writer are retried this often before giving up.
_UPDATE_ATTEMPTS = 50
#: Answers to a conditional write when the condition failed, another write raced it, or the object went meanwhile.
_CONFLICTS = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409", "NoSuchKey", "404"}


class S3StateStorage:
    """Run state under ``s3://bucket/prefix`` (``s3a://`` and ``s3n://`` name the same objects)."""

    def __init__(self, root: str, *, lease_s: float = DEFAULT_LEASE_S, client: Any = None):
        parts = urlsplit(root.strip())
        if not parts.netloc:
            raise EnvironmentProblem(f"{root!r} names no bucket; write s3a://bucket/prefix")
        self.root = root.strip().rstrip("/")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.lease_s = lease_s
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
            addressing = {"addressing_style": "path"} if endpoint else {}
            self._client = boto3.client("s3", config=Config(s3=addressing, retries={"mode": "standard"}))
        return self._client

    def key(self, name: str) -> str:
        return "/".join(part for part in (self.prefix, name.strip("/")) if part)

    def location(self, name: str) -> str:
        return f"{self.root}/{name.strip('/')}" if name else self.root

    def read_text(self, name: str) -> str | None:
        found = self._get(name)
        return found[0] if found else None

    def write_text(self, name: str, text: str) -> None:
        with self._reaching(name):
            self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=text.encode())

    def names(self, suffix: str) -> list[str]:
        folder = f"{self.prefix}/" if self.prefix else ""
        found = []
        with self._reaching(""):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=folder, Delimiter="/"
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(folder) :]
                    if name.endswith(suffix):
                        found.append(name)
        return sorted(found)

    def exists(self, name: str) -> bool:
        key = self.key(name)
        with self._reaching(name):
            if key and self._head(key) is not None:
                return True
            answer = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{key}/" if key else "", MaxKeys=1)
        return bool(answer.get("KeyCount") or answer.get("Contents"))

    def remove_tree(self, name: str) -> bool:
        key = self.key(name)
        removed = False
        with self._reaching(name):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{key}/")
            for page in pages:
                objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if objects:  # at most 1000 per page, as delete_objects takes them
                    self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
                    removed = True
        return removed

    def update(self, name: str, change: Callable[[str | None], str]) -> str:
        for attempt in range(_UPDATE_ATTEMPTS):
            found = self._get(name)
            text = change(found[0] if found else None)
            if self._put_if(name, text, etag=found[1] if found else None):
                return text
            time.sleep(random.uniform(0, 0.05 * (attempt + 1)))  # another process wrote first: read again
        raise EnvironmentProblem(
            f"cannot update {self.location(name)}: other processes kept changing it ({_UPDATE_ATTEMPTS} attempts)"
        )

    def run_lock(self, name: str) -> S3RunLock:
        return S3RunLock(self, name)

    def lock_held(self, name: str) -> bool:
        found = self._get(name)
        return found is not None and _lease_alive(found[0])

    def spark_settings(self) -> Mapping[str, Any]:
        return {"packages": [hadoop_aws_package()], "conf": s3_conf()}

    def _get(self, name: str) -> tuple[str, str] | None:
        """The object's text and ETag, or ``None`` when there is no such object."""
        with self._reaching(name):
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
            except self.client.exceptions.NoSuchKey:
                return None
            return answer["Body"].read().decode("utf-8"), answer["ETag"]

    def _head(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def _put_if(self, name: str, text: str, *, etag: str | None) -> str | None:
        """Write only if the object is still at ``etag`` (``None``: still absent); the new ETag, or ``None``."""
        from botocore.exceptions import ClientError

        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        with self._reaching(name):
            try:
                answer = self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=text.encode(), **condition)
            except ClientError as error:
                if _code(error) in _CONFLICTS:
                    return None
                raise
        return str(answer["ETag"])

    def _delete_if(self, name: str, etag: str) -> None:
        """Delete the object only if it is still at ``etag``: a lock another holder took over stays."""
        from botocore.exceptions import ClientError

        with self._reaching(name):
            try:
                self.client.delete_object(Bucket=self.bucket, Key=self.key(name), IfMatch=etag)
            except ClientError as error:
                if _code(error) == "NotImplemented":  # a store without conditional deletes
                    self.client.delete_object(Bucket=self.bucket, Key=self.key(name))
                elif _code(error) not in _CONFLICTS:
                    raise

    @contextmanager
    def _reaching(self, name: str) -> Iterator[None]:
        """Turns a failure to reach the store into an error that names the location and what to check."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as error:
            cause = _code(error) if isinstance(error, ClientError) else type(error).__name__
            first_line = (str(error).splitlines() or [""])[0][:300]
            raise EnvironmentProblem(
                f"cannot reach run state at {self.location(name)}: {cause}: {first_line}",
                hint="check that the bucket exists and the credentials may read and write it "
                "(AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE or AWS_ACCESS_KEY_ID)",
            ) from error


class S3RunLock:
    """A run lock on S3: a lease object its holder renews while the run lives."""

    def __init__(self, storage: S3StateStorage, name: str):
        self._storage = storage
        self._name = name
        self._token = uuid.uuid4().hex
        self._etag: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lock; :class:`BlockingIOError` when a live process holds it."""
        etag = self._storage._put_if(self._name, self._lease(), etag=None)
        if etag is None:  # someone holds it, or held it and died
            found = self._storage._get(self._name)
            if found is not None and _lease_alive(found[0]):
                raise BlockingIOError(f"{self._storage.location(self._name)} is held by a live run")
            # Expired (or gone meanwhile): take it over; of two contenders only one write matches.
            etag = self._storage._put_if(self._name, self._lease(), etag=found[1] if found else None)
            if etag is None:
                raise BlockingIOError(f"{self._storage.location(self._name)} was taken by another run just now")
        self._etag = etag
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name=f"ppf-lease-{self._name}", daemon=True)
        self._renewer.start()

    def release(self) -> None:
        """Stop renewing and delete the lock object (only if it is still ours)."""
        if self._etag is None:
            return
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        etag, self._etag = self._etag, None
        self._storage._delete_if(self._name, etag)

    def _renew(self) -> None:
        while not self._stop.wait(self._storage.lease_s / 3):
            try:
                etag = self._storage._put_if(self._name, self._lease(), etag=self._etag)
            except EnvironmentProblem:
                continue  # the store is out of reach for now; the next renewal may get through
            if etag is None:
                return  # taken over after this process stalled past its lease: it is not ours any more
            self._etag = etag

    def _lease(self) -> str:
        return json.dumps(
            {
                "holder": self._token,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "expires_at": time.time() + self._storage.lease_s,
            }
        )


def _lease_alive(text: str) -> bool:
    try:
        expires_at = float(json.loads(text).get("expires_at"))
    except (ValueError, TypeError, AttributeError):
        return False  # not a lease: nobody can be holding it
    return expires_at > time.time()


def _code(error: Any) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
