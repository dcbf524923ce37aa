"""Annotation stage: Label Studio projects where annotators judge claims against the fact
base; sync (push tasks, pull annotations, import exports), agreement, adjudication."""

from annotation.adjudication import adjudicate
from annotation.agreement import agreement_report
from annotation.labels import gold_labels, parse_export
from annotation.review import push_review_queue
from annotation.sync import prediction, pull, push, task_payload

__all__ = ["adjudicate", "agreement_report", "gold_labels", "parse_export", "prediction", "pull", "push",
           "push_review_queue", "task_payload"]
