"""Annotation stage: Label Studio projects where annotators judge claims against the fact
base; sync (push tasks, pull annotations, import exports), agreement, adjudication."""

from annotation.agreement import SETTINGS_FILE as AGREEMENT_SETTINGS
from annotation.agreement import agreement_report
from annotation.labels import gold_labels
from annotation.steps import (
           AdjudicateStep,
           AgreementStep,
           ImportAnnotationsStep,
           PullStep,
           PushStep,
)
from annotation.sync import prediction, task_payload

__all__ = ["AGREEMENT_SETTINGS", "AdjudicateStep", "AgreementStep", "ImportAnnotationsStep", "PullStep", "PushStep", "agreement_report",
           "gold_labels", "prediction", "task_payload"]
