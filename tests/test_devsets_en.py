"""The English claim-mining labels (train and dev) as references into en-scs-texts, and the
benchmark's scoring (bench/claim_mining.py).

Offline: the files are well formed (the reference fields only, reason codes from the table
in annotation/GUIDELINES.md section 8, a target is a claim about the SCS), the splits share
no document and the dev set is the recorded selection. With ../shared (skipped locally when
absent, failed under CI=true): every reference resolves, every document is labelled whole,
and the sentences follow the recorded segmentation rule but for a few hand fixes. The
benchmark's credit and tie rules are checked on text written here."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import REPO, require_shared

from bench.claim_mining import expected_hits, figures
from bench.devsets.en_selection import DEV_FILE, MIXED_DOCUMENTS, TRAIN_FILE, dev_documents, rule_spans
from pipelines.claims.labelled import corpus_documents, make_ref, read_refs, resolve

FIELDS = ["corpus", "doc_id", "start", "end", "sha256", "lang", "scs", "target", "reason"]
FILES = [TRAIN_FILE, DEV_FILE]


def guideline_reasons() -> dict[str, tuple[str, str]]:
    """reason → (scs, target) from the table in GUIDELINES.md section 8."""
    text = (REPO / "annotation" / "GUIDELINES.md").read_text(encoding="utf-8")
    section = text.split("## 8. Claim-mining dev sets", 1)[1]
    rows = re.findall(r"^\| (\w+) \| (yes|no|either) \| (yes|no) \|", section, re.M)
    return {reason: (scs, target) for reason, scs, target in rows}


def test_the_guidelines_list_the_reason_codes():
    reasons = guideline_reasons()
    assert {"claim", "sweeping", "opinion", "question", "appeal", "footnote", "caption", "byline", "offtopic",
            "surveillance_not_scs", "fragment", "context_only"} <= set(reasons)
    assert {r for r, (_, target) in reasons.items() if target == "yes"} == {"claim", "sweeping"}


@pytest.mark.parametrize("path", FILES, ids=["train", "dev"])
def test_label_file_is_well_formed(path):
    reasons = guideline_reasons()
    for line in path.read_text(encoding="utf-8").splitlines():
        assert list(json.loads(line)) == FIELDS  # references only: no text field
    refs = read_refs(path)
    assert len(refs) >= 200
    for ref in refs:
        assert ref.corpus == "en-scs-texts" and ref.lang == "en" and ref.reason in reasons, ref
        assert re.fullmatch(r"[0-9a-f]{16}", ref.sha256) and 0 <= ref.start < ref.end, ref
        scs, target = reasons[ref.reason]
        assert ref.target == (target == "yes") and (scs == "either" or ref.scs == (scs == "yes")), ref
        assert not ref.target or ref.scs, ref
    keys = [(r.doc_id, r.start) for r in refs]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_dev_is_the_recorded_selection_and_shares_no_document_with_train():
    train, dev = ({r.doc_id for r in read_refs(p)} for p in FILES)
    assert not train & dev
    assert dev == dev_documents(sorted(train | dev)) and set(MIXED_DOCUMENTS) <= dev
    assert len(read_refs(DEV_FILE)) >= 300


@pytest.mark.parametrize("path", FILES, ids=["train", "dev"])
def test_references_resolve_and_cover_whole_documents(path):
    corpora = require_shared("corpora", "en-scs-texts").parent
    documents = corpus_documents(corpora, "en-scs-texts")
    resolved = list(resolve(path, corpora))
    assert all(item.text and item.text == item.text.strip() for item in resolved)
    by_doc: dict[str, list] = {}
    for item in resolved:
        by_doc.setdefault(item.ref.doc_id, []).append((item.ref.start, item.ref.end))
    for doc_id, spans in by_doc.items():
        text, cursor = documents[doc_id], 0
        for start, end in spans:  # sorted, no overlap, only whitespace between sentences
            assert start >= cursor and not text[cursor:start].strip(), (doc_id, start)
            cursor = end
        assert not text[cursor:].strip(), doc_id


def test_every_document_is_labelled_and_sentences_follow_the_rule():
    corpora = require_shared("corpora", "en-scs-texts").parent
    documents = corpus_documents(corpora, "en-scs-texts")
    refs = [r for p in FILES for r in read_refs(p)]
    assert {r.doc_id for r in refs} == set(documents)
    rule = {doc_id: set(rule_spans(doc_id, text)) for doc_id, text in documents.items()}
    by_rule = sum((r.start, r.end) in rule[r.doc_id] for r in refs)
    assert by_rule >= 0.95 * len(refs), f"{len(refs) - by_rule} sentences differ from the rule"


# --- the benchmark's scoring, on text written for this test ------------------------------

TEXT = "Courts list debtors. I hate it. Rongcheng gives 1,000 points. Nice weather today."


def _gold():
    spans = [(0, 20), (21, 31), (32, 61), (62, 81)]
    labels = [(True, True), (True, False), (True, True), (False, False)]
    return [make_ref("en-scs-texts", "d1", TEXT, a, b, "en", scs, target) for (a, b), (scs, target) in zip(spans, labels)]


def _report(cands):
    return {"candidates": [{"doc_id": "d1", "start": a, "end": b, "text": TEXT[a:b], "score": s} for a, b, s in cands],
            "repeats": 1, "cpu_s": 0.5, "wall_s": 1.0, "load_cpu_s": 0.1}


def test_figures_credit_each_gold_sentence_once_by_majority_overlap():
    docs = [{"doc_id": "d1", "text": TEXT}]
    # the top candidate straddles sentences 0 and 1 but lies mostly in 0; the second repeats
    # sentence 0 (no second credit); the third is the opinion
    result = figures(docs, {"d1": _gold()}, _report([(5, 24, 0.9), (0, 20, 0.8), (21, 31, 0.7)]))
    assert result["targets"] == 2 and result["r_precision"] == 0.5 and result["recall_at_2x"] == 0.5
    assert result["confusion"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 1}
    assert result["candidates_per_100"] == 75.0 and result["sentences_per_s"] == 8.0


def test_a_candidate_whose_offsets_moved_is_found_by_its_text():
    docs = [{"doc_id": "d1", "text": TEXT}]
    report = _report([(32, 61, 0.9)])
    report["candidates"][0]["start"] = 0  # offsets into another copy of the text
    result = figures(docs, {"d1": _gold()}, report)
    assert result["confusion"]["tp"] == 1 and result["unlocated_candidates"] == 0


def test_ties_at_the_cut_count_pro_rata():
    assert expected_hits([0.9, 0.5, 0.5, 0.5], [True, False, False, True], 2) == pytest.approx(1 + 1 / 3)
    assert expected_hits([0.9, 0.8], [True, False], 5) == 1


def test_the_benchmark_fails_under_ci_without_the_corpora(tmp_path):
    env = {"FRAMECHECK_SHARED": str(tmp_path / "nowhere"), "CI": "true", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, str(REPO / "bench" / "claim_mining.py")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and "under CI=true that is a failure" in result.stderr


def test_without_git_history_the_old_miner_is_skipped_with_a_reason(tmp_path, monkeypatch):
    import bench.claim_mining as bench_module

    monkeypatch.setattr(bench_module, "REPO", tmp_path)  # no .git here
    checkout, why_not = bench_module._old_checkout(tmp_path / "old")
    assert checkout is None and "not in this checkout's git history" in why_not
