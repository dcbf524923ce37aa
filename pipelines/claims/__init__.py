"""Claims stage: candidate claims mined from articles and transcripts, scored by the learned
claim ranker, with cue spans and evidence candidates from the fact base; `mine_files` does
the same for any files; `train_ranker` fits the ranker."""

from pipelines.claims.adhoc import mine_files
from pipelines.claims.mine import CUES_FILE, ClaimsStep, EvidenceRetriever, load_cues
from pipelines.claims.ranker import (
    PACKAGED_MODEL,
    ClaimRanker,
    cuts_text,
    data_model_path,
    load_ranker,
    model_path_for,
    ranker_card,
)
from pipelines.claims.train import shared_corpora, train_ranker

__all__ = ["CUES_FILE", "PACKAGED_MODEL", "ClaimRanker", "ClaimsStep", "EvidenceRetriever", "cuts_text", "data_model_path",
           "load_cues", "load_ranker", "mine_files", "model_path_for", "ranker_card", "shared_corpora", "train_ranker"]
