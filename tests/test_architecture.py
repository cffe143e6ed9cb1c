"""The layering holds: import-linter's contracts (pyproject.toml, [tool.importlinter]) are kept.
``make lint`` runs the same check; here it also runs in CI with the rest of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_import_contracts_are_kept(tmp_path):
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert command, "lint-imports is missing: it is a dev dependency (pip install -e '.[dev]')"
    result = subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        [command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
