"""The project's Python, notebooks included, is ruff-clean (configuration in pyproject.toml)."""

import subprocess
import sys

from conftest import ROOT


def test_ruff_check_passes():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
