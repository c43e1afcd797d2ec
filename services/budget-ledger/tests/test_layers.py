"""The service keeps its skeleton's layers (importlinter.ini beside its pyproject.toml)."""

import subprocess
import sys
from pathlib import Path


def test_the_import_contracts_hold():
    config = Path(__file__).resolve().parents[1] / "importlinter.ini"
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache", "--config", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
