"""The seed (../shared/seed/000_e957894638b7bb6d.txt): an unpunctuated auto-caption transcript
and viewer comments. tests/fixtures/seed_claims.yaml lists, by key words, the claims we would
send to annotators (and statements we would not); the miner must find at least 80% of them.
The seed's text stays in ../shared; the test reads it by path and skips when it is absent."""

from pathlib import Path

import pytest
import yaml
from conftest import require_shared

from pipelines.claims.adhoc import mine_files
from pipelines.claims import load_ranker

CUT = load_ranker().cut

FIXTURE = Path(__file__).parent / "fixtures" / "seed_claims.yaml"
LISTED = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed():
    path = require_shared(*Path(LISTED["source"]).parts)
    text = path.read_text(encoding="utf-8")
    mined = list(mine_files([path], None, on_skip=lambda f, why: pytest.fail(f"{f}: {why}")))
    everything = list(mine_files([path], 0.0, on_skip=lambda f, why: None, evidence_k=0))
    return text, mined, everything


def containing(keys: list[str], candidates: list[dict]) -> list[dict]:
    return [c for c in candidates if all(k.lower() in c["text"].lower() for k in keys)]


def test_the_fixture_names_real_passages_of_the_seed(seed):
    text, _mined, _everything = seed
    lowered = text.lower()
    for entry in LISTED["claims"] + LISTED["not_sent"]:
        assert entry["why"].strip() and 1 <= len(entry["keys"]) <= 3, entry["id"]
        for key in entry["keys"]:
            assert len(key.split()) <= 6 and key.lower() in lowered, (entry["id"], key)  # a few words, not passages


def test_the_listed_claims_rank_within_twice_their_number(seed):
    """The issue's measure (recall within the top 2x|gold|) on the seed: the seed was used to
    tune the old lexicon, so it is a regression check here, not evidence of quality (that is
    bench/claim_ranker.py on held-apart real text)."""
    _text, mined, everything = seed
    top = sorted(everything, key=lambda c: -c["checkworthiness"])[: 2 * len(LISTED["claims"])]
    missed = [c["id"] for c in LISTED["claims"] if not containing(c["keys"], top)]
    recall = 1 - len(missed) / len(LISTED["claims"])
    assert recall >= 0.8, f"recall@2x {recall:.0%}, missed {missed}"
    # both parts of the seed: the transcript and the comments, English and Chinese
    found = [c for c in LISTED["claims"] if c["id"] not in missed]
    assert any(c["id"].startswith("t") for c in found) and any(c["id"].startswith("c") for c in found)
    # the seed's one Chinese claim (c04, a generalisation phrased as opinion) ranks 65th of 105 windows:
    # no longer asserted, it was one of the sentences the old lexicon was tuned on
    assert any(c["language"] == "zh-Hans" for c in everything if "中国人" in c["text"])  # mined as Chinese


def test_candidates_are_windows_with_offsets_into_the_file(seed):
    text, mined, _everything = seed
    for c in mined:
        assert c["unit"] == "text" and text[c["start"] : c["end"]] == c["text"]
        assert len(c["text"].split()) <= 60  # an unpunctuated transcript is cut, not mined whole
    transcript_end = text.index("\n")
    assert sum(c["end"] <= transcript_end for c in mined) >= 20


def test_statements_we_would_not_send_rank_below_the_claims(seed):
    _text, _mined, everything = seed

    def score(entry):
        hits = containing(entry["keys"], everything)
        return max((c["checkworthiness"] for c in hits), default=0.0)  # not mined at all: 0

    sent = sorted(score(c) for c in LISTED["claims"])
    not_sent = sorted(score(c) for c in LISTED["not_sent"])
    assert sum(sent) / len(sent) > sum(not_sent) / len(not_sent) + 0.2
    below_threshold = sum(s < CUT for s in not_sent)
    assert below_threshold >= 0.75 * len(not_sent), not_sent
