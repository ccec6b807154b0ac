"""The datasets a step reads or writes, named from its component's config (``path`` or ``table``).

Sources read the dataset their config names and sinks write it; transforms and validators work
on DataFrames handed to them and name none.  Names follow OpenLineage's dataset naming: a path
``s3://bucket/dir`` is namespace ``s3://bucket``, name ``dir``; a local path is namespace
``file``, name its absolute path; a table is namespace ``spark_catalog``, name as written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from pyspark_pipeline_framework.core.component import ComponentKind

TABLE_NAMESPACE = "spark_catalog"


@attrs.frozen
class Dataset:
    """One dataset: where it lives (``namespace``), what it is called there (``name``)."""

    namespace: str
    name: str
    #: "path" or "table": which config key named it.
    kind: str
    format: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class StepDatasets:
    """The datasets a step reads (a source's) and writes (a sink's), as lineage reports them."""

    inputs: list[Dataset] = attrs.field(factory=list)
    outputs: list[Dataset] = attrs.field(factory=list)


def named_datasets(config: Mapping[str, Any]) -> list[Dataset]:
    """The datasets a component config names with ``path``/``paths`` or ``table``."""
    fmt = config.get("format") if isinstance(config.get("format"), str) else None
    found = []
    listed = config.get("paths")
    paths = listed if isinstance(listed, list) else [config.get("path")]
    for path in paths:
        if isinstance(path, str) and path:
            found.append(path_dataset(path, fmt))
    table = config.get("table")
    if isinstance(table, str) and table:
        found.append(Dataset(TABLE_NAMESPACE, table, "table", fmt))
    return found


def path_dataset(path: str, fmt: str | None = None) -> Dataset:
    parts = urlsplit(path)
    if parts.scheme and parts.scheme != "file" and len(parts.scheme) > 1:  # "C:" is a drive, not a scheme
        return Dataset(f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/") or "/", "path", fmt)
    local = parts.path if parts.scheme == "file" else path
    return Dataset("file", os.path.abspath(local), "path", fmt)


def step_datasets(kind: str, config: Mapping[str, Any]) -> StepDatasets:
    """What a step of this component ``kind`` reads and writes."""
    if kind == ComponentKind.SOURCE:
        return StepDatasets(inputs=named_datasets(config))
    if kind == ComponentKind.SINK:
        return StepDatasets(outputs=named_datasets(config))
    return StepDatasets()
