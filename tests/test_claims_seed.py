"""The seed (../shared/seed/000_e957894638b7bb6d.txt): an unpunctuated auto-caption transcript
and viewer comments. tests/fixtures/seed_claims.yaml lists, by key words, the claims we would
send to annotators (and statements we would not).

The seed was used to tune the miner's lexicons before issue 11, so how the miner scores it is
no evidence of quality (bench/claim_mining.py measures that on held-apart real text). This
file checks what tuning cannot have bought: the fixture names real passages; mining the
whole file runs, with offsets into it and windows of claim size; and the caption splitter,
whose boundaries are learned from debate transcripts and never saw the seed, keeps each
listed transcript claim within one window (the issue found most misses on the seed were
claims cut in two or merged past the length cap). The seed's text stays in ../shared; the
test reads it by path and skips when it is absent."""

from pathlib import Path

import pytest
import yaml
from conftest import require_shared

from pipelines.claims.adhoc import mine_files
from pipelines.claims.segment import MAX_SPEECH_WORDS, is_unpunctuated, segment

FIXTURE = Path(__file__).parent / "fixtures" / "seed_claims.yaml"
LISTED = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed():
    path = require_shared(*Path(LISTED["source"]).parts)
    text = path.read_text(encoding="utf-8")
    everything = list(mine_files([path], 0.0, on_skip=lambda f, why: pytest.fail(f"{f}: {why}"), evidence_k=0))
    return text, everything


def test_the_fixture_names_real_passages_of_the_seed(seed):
    text, _everything = seed
    lowered = text.lower()
    for entry in LISTED["claims"] + LISTED["not_sent"]:
        assert entry["why"].strip() and 1 <= len(entry["keys"]) <= 3, entry["id"]
        for key in entry["keys"]:
            assert len(key.split()) <= 6 and key.lower() in lowered, (entry["id"], key)  # a few words, not passages


def test_the_transcript_is_cut_into_windows_that_lose_nothing(seed):
    text, _everything = seed
    transcript = text[: text.index("\n")]
    assert is_unpunctuated(transcript)
    segments = segment(transcript)
    assert all(s.drop is None for s in segments)  # speech has no captions, bylines or footnotes to drop
    sizes = [len(transcript[s.start : s.end].split()) for s in segments]
    assert all(1 <= n <= MAX_SPEECH_WORDS for n in sizes) and sum(sizes) == len(transcript.split())
    gaps = [transcript[a.end : b.start] for a, b in zip(segments, segments[1:])]
    assert all(gap.isspace() for gap in gaps)  # window after window, in order, nothing between but spaces
    assert len(transcript.split()) / MAX_SPEECH_WORDS < len(segments) < len(transcript.split()) / 3


def test_each_listed_transcript_claim_lies_within_one_window(seed):
    text, _everything = seed
    transcript = text[: text.index("\n")]
    windows = [transcript[s.start : s.end].lower() for s in segment(transcript) if s.drop is None]
    listed = [c for c in LISTED["claims"] if c["id"].startswith("t")]
    whole = [c["id"] for c in listed if any(all(k.lower() in w for k in c["keys"]) for w in windows)]
    assert len(whole) >= 0.8 * len(listed), sorted({c["id"] for c in listed} - set(whole))


def test_mining_the_whole_seed_gives_offsets_into_the_file_and_both_languages(seed):
    text, everything = seed
    assert everything
    for c in everything:
        assert c["unit"] == "text" and text[c["start"] : c["end"]] == c["text"]
        assert 0.0 <= c["checkworthiness"] <= 1.0
        assert len(c["text"].split()) <= 60  # an unpunctuated transcript is cut, not mined whole
        for cue in c["cues"]:
            assert c["text"][cue["start"] : cue["end"]] == cue["text"]
    transcript_end = text.index("\n")
    assert any(c["end"] <= transcript_end for c in everything) and any(c["start"] > transcript_end for c in everything)
    assert any(c["language"] == "zh-Hans" and "中国人" in c["text"] for c in everything)
