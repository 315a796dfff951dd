"""The layering contracts of pyproject.toml ([tool.importlinter], docs/architecture.md) hold: run here
too, so that a test run without `make test` cannot skip them silently."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports() -> str:
    found = Path(sys.executable).with_name("lint-imports")
    return str(found) if found.exists() else (shutil.which("lint-imports") or "lint-imports")


def test_import_contracts_are_kept():
    result = subprocess.run([lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_every_module_imports():
    """A moved module leaves no import of its old name behind (lint-imports skips modules that do not
    exist)."""
    import importlib
    import pkgutil

    import supervision

    for module in pkgutil.walk_packages(supervision.__path__, "supervision."):
        importlib.import_module(module.name)
