"""Report stage: an HTML report with plots of a built release."""

from pipelines.report.html import write_report

__all__ = ["write_report"]
