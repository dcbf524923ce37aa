"""Report stage: an HTML report with plots of a built release."""

from pipelines.report.html import ReportStep

__all__ = ["ReportStep"]
