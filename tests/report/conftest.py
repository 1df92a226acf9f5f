"""Fixtures: a synthetic run directory and its report, shared by a module's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic_run import write_run

from sftlab.report import build_report


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by a module's tests, which only read it (building a report twice gives the same files)."""
    return write_run(tmp_path_factory.mktemp("synthetic") / "runs")


@pytest.fixture(scope="module")
def report_index(synthetic_run: Path) -> Path:
    return build_report([synthetic_run], synthetic_run / "report")
