"""Claims stage: candidate claims mined from articles and transcripts, with cue spans and
evidence candidates from the fact base; `mine_files` does the same for any files."""

from pipelines.claims.adhoc import mine_files
from pipelines.claims.mine import CUES_FILE, ClaimsStep, EvidenceRetriever, load_cues

__all__ = ["CUES_FILE", "ClaimsStep", "EvidenceRetriever", "load_cues", "mine_files"]
