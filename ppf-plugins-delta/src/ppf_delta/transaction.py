"""Delta idempotent writes: a retried attempt of a step commits at most once.

Delta records, per application id, the highest ``txnVersion`` it has committed and silently skips
a write whose (``txnAppId``, ``txnVersion``) it has already seen.  The application id names the
run and the step, so every attempt of one step in one run shares it, while another run (or
another step writing the same table) gets its own id and always writes.  A pipeline re-run after
a failure is a new run and writes again.
"""

from __future__ import annotations

import attrs

#: Every attempt of a step carries the same version; only the first commit of the run counts.
TXN_VERSION = 1


@attrs.frozen
class WriteTransaction:
    """The Delta writer options that make one step's write idempotent within its run."""

    app_id: str
    version: int = TXN_VERSION

    @classmethod
    def for_step(cls, run_id: str, step_name: str) -> WriteTransaction:
        return cls(f"ppf/{run_id}/{step_name}")

    def writer_options(self) -> dict[str, str]:
        return {"txnAppId": self.app_id, "txnVersion": str(self.version)}
