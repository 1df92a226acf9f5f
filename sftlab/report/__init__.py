"""The static HTML report of one or more runs: figures, per-checkpoint tables, samples, data card."""

from sftlab.report.page import build_report
from sftlab.report.summary import summary_lines

__all__ = ["build_report", "summary_lines"]
