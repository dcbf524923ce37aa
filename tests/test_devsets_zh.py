"""The Chinese claim-mining labels (train and dev) as references into cctv-xwlb.

Offline: the files are well formed (fields, codes, a target is always about the SCS), hold
no third-party text, and the two splits share no story. With ../shared: every reference
resolves (its text hashes as labelled) and the files hold exactly the sentences the recorded
selection rule picks (bench/devsets/cctv_selection.py); the dev set holds whole stories."""

from __future__ import annotations

import json

import pytest
from conftest import require_shared

from bench.devsets.cctv_selection import DEV_FILE, TRAIN_FILE, dev_picks, differences, file_picks, sentence_spans, train_picks
from pipelines.claims.labelled import corpus_documents, read_refs, resolve

REASONS = {"claim", "sweeping", "opinion", "question", "appeal", "caption", "offtopic", "fragment", "slogan", "context_only"}
FIELDS = ["corpus", "doc_id", "start", "end", "sha256", "lang", "scs", "target", "reason"]
FILES = [TRAIN_FILE, DEV_FILE]


@pytest.mark.parametrize("path", FILES, ids=["train", "dev"])
def test_label_file_is_well_formed(path):
    refs = read_refs(path)
    assert len(refs) >= 300
    for line in path.read_text(encoding="utf-8").splitlines():
        assert list(json.loads(line)) == FIELDS  # references only: no text field
    for ref in refs:
        assert ref.corpus == "cctv-xwlb" and ref.lang == "zh" and ref.reason in REASONS
        assert len(ref.sha256) == 16 and int(ref.sha256, 16) >= 0 and 0 <= ref.start < ref.end
        assert not ref.target or ref.scs, ref  # a target is a claim about the SCS
        assert ref.target == (ref.reason in ("claim", "sweeping")), ref
    assert sum(r.target for r in refs) >= 25 and sum(not r.scs for r in refs) >= 100


def test_train_and_dev_share_no_story():
    train, dev = ({r.doc_id for r in read_refs(p)} for p in FILES)
    assert train and dev and not train & dev


def test_sentence_spans_follow_the_stated_rule():
    text = "\u3000\u3000甲说：“好。”乙走了；丙来了！\r\n\u3000\u3000丁？没有标点的尾巴"
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans == ["甲说：“好。”", "乙走了；", "丙来了！", "丁？", "没有标点的尾巴"]


@pytest.mark.parametrize("path", FILES, ids=["train", "dev"])
def test_references_resolve_against_the_shared_corpus(path):
    corpora = require_shared("corpora", "cctv-xwlb").parent
    resolved = list(resolve(path, corpora))
    assert len(resolved) == len(read_refs(path))
    assert all(item.text.strip() == item.text and item.text for item in resolved)


def test_files_hold_exactly_the_recorded_selection():
    corpora = require_shared("corpora", "cctv-xwlb").parent
    assert differences(train_picks(corpora), file_picks(TRAIN_FILE)) == []
    assert differences(dev_picks(corpora), file_picks(DEV_FILE)) == []


def test_dev_stories_are_whole():
    corpora = require_shared("corpora", "cctv-xwlb").parent
    documents = corpus_documents(corpora, "cctv-xwlb")
    by_story: dict[str, set] = {}
    for ref in read_refs(DEV_FILE):
        by_story.setdefault(ref.doc_id, set()).add((ref.start, ref.end))
    for story_id, spans in by_story.items():
        assert spans == set(sentence_spans(documents[story_id])), story_id
