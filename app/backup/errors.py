"""The one error of the backup module: a message for the operator and the command's exit status."""

from __future__ import annotations

REFUSED = 2  # bad input or a target that is not ready: nothing was changed
BROKEN = 1  # a check failed: a checksum, the manifest's seal, the counts, the audit chain


class BackupError(Exception):
    def __init__(self, message: str, exit_code: int = BROKEN) -> None:
        super().__init__(message)
        self.exit_code = exit_code
