"""Public Spark helpers for component authors.

* :func:`session_settings`, :func:`adaptive_execution_off`: session settings for one statement
  or block, put back afterwards;
* :func:`write_staged`: write a directory of files into a staging place and commit it into the
  target only once complete (:class:`TargetExists` for ``mode = error``; on Spark Connect, which
  cannot rename, the caller's in-place write or :class:`StagingUnavailable`);
* :func:`job_group`, :func:`jobs_so_far`: the Spark jobs of a run;
* :func:`read_observed_values`: an observation's values, without blocking for long;
* :func:`writes_row_for_row`: whether a file format's write counts exactly its input rows;
* :func:`check_csv_header`: a CSV file's header against the declared schema (:class:`HeaderMismatch`);
* :func:`is_connect`: whether a session (or DataFrame) is Spark Connect's, with no driver JVM here.

Importing this module does not import pyspark (the helpers do when called), nor any helper's
module until its name is first used.
"""

from typing import TYPE_CHECKING

from pyspark_pipeline_framework.core.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from pyspark_pipeline_framework.spark.connect import is_connect
    from pyspark_pipeline_framework.spark.csv_header import HeaderMismatch, check_csv_header
    from pyspark_pipeline_framework.spark.formats import ROW_FOR_ROW_FORMATS, writes_row_for_row
    from pyspark_pipeline_framework.spark.jobs import job_group, jobs_so_far
    from pyspark_pipeline_framework.spark.observations import read_observed_values
    from pyspark_pipeline_framework.spark.settings import adaptive_execution_off, session_settings
    from pyspark_pipeline_framework.spark.staged_write import StagingUnavailable, TargetExists, write_staged

_EXPORTS = {  # public name -> submodule, imported on first use
    "HeaderMismatch": "csv_header",
    "ROW_FOR_ROW_FORMATS": "formats",
    "StagingUnavailable": "staged_write",
    "TargetExists": "staged_write",
    "adaptive_execution_off": "settings",
    "check_csv_header": "csv_header",
    "is_connect": "connect",
    "job_group": "jobs",
    "jobs_so_far": "jobs",
    "read_observed_values": "observations",
    "session_settings": "settings",
    "write_staged": "staged_write",
    "writes_row_for_row": "formats",
}

__all__ = [
    "ROW_FOR_ROW_FORMATS",
    "HeaderMismatch",
    "StagingUnavailable",
    "TargetExists",
    "adaptive_execution_off",
    "check_csv_header",
    "is_connect",
    "job_group",
    "jobs_so_far",
    "read_observed_values",
    "session_settings",
    "write_staged",
    "writes_row_for_row",
]
__getattr__ = lazy_exports(__name__, "ppf-core", _EXPORTS)


def __dir__() -> list[str]:
    # The lazy names too: what dir(), completion and Sphinx's autodoc list.
    return sorted({*globals(), *__all__})
