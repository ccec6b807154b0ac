"""Components used by the Delta plugin's tests through `type = "ppf_delta_test_support.X"`."""

from __future__ import annotations

from ppf_delta import DeltaSink

FAILED_ONCE: set[str] = set()


class DeltaSinkFailingAfterCommit(DeltaSink):
    """Commits its write, then fails on its first attempt, as a lost connection after the commit would."""

    def write(self, df) -> None:
        super().write(df)
        if self.config.path not in FAILED_ONCE:
            FAILED_ONCE.add(self.config.path)
            raise ConnectionResetError("connection reset after the Delta commit (simulated)")
