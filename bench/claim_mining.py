"""Claim mining on real text labelled by reading: the current miner beside the one of commit
5b5ce2e (before issue 11), in the same run.

Dev sets (references only, text read from ../shared/corpora; skipped with a message when
absent, an error under CI=true, see bench/shared_data.py):
- en: bench/devsets/claims_en_dev.jsonl, 7 whole documents of en-scs-texts;
- zh: bench/devsets/claims_zh_dev.jsonl, whole stories of cctv-xwlb (when the file exists).
Every sentence of a dev document is labelled: target (a checkable claim about the SCS) or
not (annotation/GUIDELINES.md section 8).

The new miner runs as the pipeline runs it: the dev documents (their corpus records, byte
for byte) are imported with `framecheck import-docs` into a temporary data directory (the
field mappings of tests/test_import_docs.py), then `framecheck claims run` mines them; its
claims (article id, start, end, score) are mapped back to the dev documents by the imported
documents' URLs, and their offsets hold because import-docs keeps the text exact. The old
miner (`git archive 5b5ce2e`, PYTHONPATH pointing there) had no import-docs, so it mines each
dev document's whole text with its own `mine_text`, as its claims stage did (the title
deciding whether the document is about the SCS, as its `mine_articles` did). A candidate is located in the document (its offsets, or its text
found there) and credited to the gold sentence holding the largest share of its characters;
a second candidate on an already credited sentence counts as a miss (splitting a sentence
earns nothing).

Figures per language and miner:
- R-precision: all candidates pooled and ranked by score; of the top |gold targets|, the
  share credited to a target (a group of equal scores straddling the cut counts pro rata:
  the expectation over tie orders, so a coarse score is not flattered by the tie-break);
- recall@2x: the share of gold targets credited within the top 2 x |gold targets|;
- candidates per 100 sentences: overall, and pooled over on-topic documents (documents
  with at least one sentence about the SCS), with the largest single on-topic document;
- speed: sentences per CPU second (gold sentences of the dev set / CPU time of mining them
  all with the checkout's `mine_text`, repeated to at least 1 s, the worker pinned to one
  core, BLAS threads 1); for the new miner also the whole `claims run` process (start-up,
  model and fact index loading, evidence retrieval included) as pipeline sent/s;
- target share: the share of all sentences that are targets (a random ranking's R-precision);
- the confusion at the cut, per gold sentence: a sentence is predicted when a candidate is
  credited to it (TP, FP, FN, TN).
Targets (issue 11): R-precision >= 0.6, recall@2x >= 0.8 per language, <= 40 candidates
per 100 sentences of on-topic documents, >= 1,000 sentences/s. `--strict` exits 1 when the
new miner misses one.

Runs alone: `python bench/claim_mining.py [--strict]`. Prints a table and, last, one line of
JSON.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OLD_COMMIT = "5b5ce2e"
DEV_FILES = {"en": REPO / "bench" / "devsets" / "claims_en_dev.jsonl",
             "zh": REPO / "bench" / "devsets" / "claims_zh_dev.jsonl"}
TARGETS = {"r_precision": 0.6, "recall_at_2x": 0.8, "candidates_per_100_on_topic": 40.0, "sentences_per_s": 1000.0}
MIN_TIMED_SECONDS = 1.0


# --- The worker: runs inside the miner's own checkout (stdlib + that checkout's pipelines) ----

def _pinned() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _single_core() -> None:
    """One core, one BLAS thread: the speed target is per core."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    _pinned()


def _mine_call():
    """A function document → candidates for the checkout on sys.path, through the claims
    stage's own mining function (mine_text with the document's topic decision)."""
    from pipelines.claims import mine

    cues = mine.load_cues()
    accepted = inspect.signature(mine.mine_text).parameters
    if "topic" not in accepted:  # the learned miner: mine_text(text, cues, language), as mine_articles calls it
        ranker = mine.load_ranker()

        def run_learned(doc: dict) -> list:
            return mine.mine_text(doc["text"], cues, "zh-Hans" if doc["lang"] == "zh" else doc["lang"], ranker=ranker)
        return run_learned
    from pipelines.kernel.topic import load_topic

    topic = load_topic()

    def run(doc: dict) -> list:
        kwargs = {"in_context": topic.is_relevant(doc["text"], doc.get("title", ""))} if "in_context" in accepted else {}
        return mine.mine_text(doc["text"], topic, cues, doc["lang"], **kwargs)
    return run


def _score(candidate) -> float:
    for name in ("score", "probability", "checkworthiness"):
        value = getattr(candidate, name, None)
        if isinstance(value, (int, float)):
            return float(value)
    raise AttributeError(f"candidate has no score field: {candidate!r}")


def worker() -> None:
    """stdin: {"docs": [{doc_id, text, title, lang, sentences}]}; stdout: one JSON object
    with every candidate (doc_id, start, end, text, score) and the timing."""
    _single_core()
    job = json.load(sys.stdin)
    import pipelines

    started = time.process_time()
    run = _mine_call()
    load_cpu = time.process_time() - started
    out = []
    for doc in job["docs"]:
        for cand in run(doc):
            out.append({"doc_id": doc["doc_id"], "start": cand.start, "end": cand.end, "text": cand.text,
                        "score": _score(cand)})
    repeats, cpu, wall = 0, 0.0, 0.0
    while cpu < MIN_TIMED_SECONDS or repeats < 2:
        c0, w0 = time.process_time(), time.perf_counter()
        for doc in job["docs"]:
            run(doc)
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        repeats += 1
    json.dump({"pipelines": pipelines.__file__, "candidates": out, "load_cpu_s": load_cpu,
               "repeats": repeats, "cpu_s": cpu, "wall_s": wall}, sys.stdout)


# --- The parent: labels, miners in subprocesses, figures ------------------------------------

def _old_checkout(tmp: Path) -> tuple[Path | None, str]:
    """`git archive` of the old miner (its pipelines and the config files they read)."""
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", OLD_COMMIT, "pipelines", "crawlers/topic.yaml",
                                  "annotation/facts.yaml"], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"git is not available ({exc})"
    if archive.returncode != 0:
        return None, f"commit {OLD_COMMIT} is not in this checkout's git history ({archive.stderr.decode().strip()})"
    untar = subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, capture_output=True)
    if untar.returncode != 0:
        return None, f"could not unpack the old miner: {untar.stderr.decode().strip()}"
    return tmp, ""


def run_miner(checkout: Path, docs: list[dict]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker"], input=json.dumps({"docs": docs}),
                            capture_output=True, text=True, env=env, cwd=checkout, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"the miner in {checkout} failed:\n{result.stderr[-3000:]}")
    report = json.loads(result.stdout)
    if not Path(report["pipelines"]).resolve().is_relative_to(checkout.resolve()):
        raise RuntimeError(f"the worker imported {report['pipelines']}, not the checkout {checkout}")
    return report


# How `framecheck import-docs` reads each dev corpus (as tests/test_import_docs.py imports them)
IMPORT_OPTIONS = {
    "cctv-xwlb": ["--text-field", "text", "--id-field", "story_id", "--outlet", "CCTV 新闻联播", "--camp", "chinese_state"],
    "en-scs-texts": ["--id-field", "doc_id", "--date-field", "year", "--outlet", "en-scs-texts", "--camp", "western"],
}


def _framecheck(data: Path, *args: str) -> float:
    """Run the CLI in its own process on one core; its CPU time (user + system) in seconds."""
    import resource

    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "COLUMNS": "200"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "--data-dir", str(data), *args], cwd=REPO,
                            capture_output=True, text=True, env=env, timeout=3600, preexec_fn=_pinned)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"framecheck {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_pipeline(docs: list[dict], tmp: Path) -> tuple[list[dict], dict]:
    """The new miner as the pipeline runs it: import-docs of the dev documents' corpus records,
    then `claims run`; its claims as candidates of the dev documents (doc_id, offsets, score)."""
    import pyarrow.parquet as pq

    data = tmp / "data"
    for corpus in sorted({d["corpus"] for d in docs}):
        source = tmp / f"{corpus}.jsonl"
        source.write_text("".join(d["record"] if d["record"].endswith("\n") else d["record"] + "\n"
                                  for d in docs if d["corpus"] == corpus), encoding="utf-8")
        _framecheck(data, "import-docs", str(source), *IMPORT_OPTIONS[corpus])
    claims_cpu = _framecheck(data, "claims", "run")
    documents = pq.read_table(data / "tables" / "documents.parquet", columns=["article_id", "url", "text"]).to_pylist()
    doc_of_url = {d["url"] or f"urn:framecheck:doc:{d['corpus']}:{d['doc_id']}": d for d in docs}
    doc_of_article = {}
    for row in documents:
        doc = doc_of_url.get(row["url"])
        if doc is None or row["text"] != doc["text"]:
            raise RuntimeError(f"import-docs changed a dev document: {row['url']} is not byte-exact")
        doc_of_article[row["article_id"]] = doc["doc_id"]
    missing = {d["doc_id"] for d in docs} - set(doc_of_article.values())
    if missing:
        raise RuntimeError(f"import-docs left out dev documents: {sorted(missing)[:5]}")
    claims = pq.read_table(data / "tables" / "claims.parquet",
                           columns=["article_id", "start", "end", "text", "checkworthiness"]).to_pylist()
    candidates = [{"doc_id": doc_of_article[c["article_id"]], "start": c["start"], "end": c["end"], "text": c["text"],
                   "score": float(c["checkworthiness"])} for c in claims]
    return candidates, {"claims_run_cpu_s": round(claims_cpu, 3), "documents_imported": len(documents)}


def load_dev(lang: str, corpora: Path) -> tuple[list[dict], dict[str, list]]:
    """The dev documents (whole texts, titles) and their gold sentences, sorted by position."""
    from pipelines.claims.labelled import CORPUS_FILES, resolve

    gold: dict[str, list] = {}
    corpus_of: dict[str, str] = {}
    for item in resolve(DEV_FILES[lang], corpora):
        gold.setdefault(item.ref.doc_id, []).append(item.ref)
        corpus_of[item.ref.doc_id] = item.ref.corpus
    docs = []
    for corpus in sorted(set(corpus_of.values())):
        names, id_field = CORPUS_FILES[corpus]
        for name in names:
            with (corpora / corpus / name).open(encoding="utf-8") as lines:
                for line in lines:
                    record = json.loads(line)
                    if record[id_field] in gold:
                        docs.append({"doc_id": record[id_field], "text": record["text"], "title": record.get("title", ""),
                                     "lang": lang, "sentences": len(gold[record[id_field]]), "corpus": corpus,
                                     "record": line, "url": record.get("url")})
    docs.sort(key=lambda d: d["doc_id"])
    for refs in gold.values():
        refs.sort(key=lambda r: r.start)
    return docs, gold


def _locate(cand: dict, text: str) -> tuple[int, int] | None:
    start, end = cand["start"], cand["end"]
    if text[start:end] == cand["text"]:
        return start, end
    found = text.find(cand["text"])
    return (found, found + len(cand["text"])) if found >= 0 else None


def _credited(span: tuple[int, int], refs: list) -> int | None:
    """The gold sentence holding the largest share of the candidate's characters."""
    best, best_overlap = None, 0
    for i, ref in enumerate(refs):
        overlap = min(span[1], ref.end) - max(span[0], ref.start)
        if overlap > best_overlap:
            best, best_overlap = i, overlap
    return best


def expected_hits(scores: list[float], hits: list[bool], k: int) -> float:
    """Hits within the top k of a ranking whose equal scores are in no meaningful order: a
    group of tied candidates straddling the cut contributes its share of hits pro rata (the
    expectation over random tie orders), so a coarse score gains nothing from the tie-break."""
    total, i = 0.0, 0
    while i < len(scores) and i < k:
        j = i
        while j < len(scores) and scores[j] == scores[i]:
            j += 1
        group_hits = sum(hits[i:j])
        total += group_hits if j <= k else group_hits * (k - i) / (j - i)
        i = j
    return total


def figures(docs: list[dict], gold: dict[str, list], report: dict) -> dict:
    texts = {d["doc_id"]: d["text"] for d in docs}
    order = {d["doc_id"]: n for n, d in enumerate(docs)}
    cands = sorted(report["candidates"], key=lambda c: (-c["score"], order[c["doc_id"]], c["start"]))
    n_targets = sum(r.target for refs in gold.values() for r in refs)
    n_sentences = sum(len(refs) for refs in gold.values())
    credited: set[tuple[str, int]] = set()
    hits, unlocated = [], 0
    for cand in cands:  # in rank order: the first candidate on a sentence takes the credit
        span = _locate(cand, texts[cand["doc_id"]])
        index = _credited(span, gold[cand["doc_id"]]) if span else None
        unlocated += span is None
        key = (cand["doc_id"], index)
        is_hit = index is not None and key not in credited and gold[cand["doc_id"]][index].target
        if index is not None:
            credited.add(key)
        hits.append(is_hit)
    predicted = credited
    scores = [c["score"] for c in cands]
    tp = sum(1 for d, refs in gold.items() for i, r in enumerate(refs) if r.target and (d, i) in predicted)
    fp = sum(1 for d, refs in gold.items() for i, r in enumerate(refs) if not r.target and (d, i) in predicted)
    fn = n_targets - tp
    on_topic = [d for d, refs in gold.items() if any(r.scs for r in refs)]
    per_doc = {d: 100 * sum(c["doc_id"] == d for c in cands) / len(gold[d]) for d in gold}
    on_topic_sentences = sum(len(gold[d]) for d in on_topic)
    return {
        "documents": len(gold), "sentences": n_sentences, "targets": n_targets, "candidates": len(cands),
        # what R-precision a ranking of every sentence in random order would get
        "target_share": round(n_targets / n_sentences, 4) if n_sentences else None,
        "r_precision": round(expected_hits(scores, hits, n_targets) / n_targets, 4) if n_targets else None,
        "recall_at_2x": round(expected_hits(scores, hits, 2 * n_targets) / n_targets, 4) if n_targets else None,
        "distinct_scores": len(set(scores)),
        "candidates_per_100": round(100 * len(cands) / n_sentences, 2),
        "candidates_per_100_on_topic": round(100 * sum(c["doc_id"] in on_topic for c in cands) / on_topic_sentences, 2)
        if on_topic_sentences else None,
        "candidates_per_100_on_topic_max": round(max(per_doc[d] for d in on_topic), 2) if on_topic else None,
        "candidates_per_100_by_document": {d: round(v, 2) for d, v in per_doc.items()},
        "sentences_per_s": round(n_sentences * report["repeats"] / report["cpu_s"], 1) if report["cpu_s"] else None,
        "wall_sentences_per_s": round(n_sentences * report["repeats"] / report["wall_s"], 1) if report["wall_s"] else None,
        "load_cpu_s": round(report["load_cpu_s"], 3),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": n_sentences - tp - fp - fn},
        "unlocated_candidates": unlocated,
    }


def pipeline_figures(corpora: Path) -> dict[str, dict]:
    """The new miner's quality figures per language, through import-docs + claims run on the
    dev documents (no timing, no old miner): what tests/test_quality_floors.py checks."""
    dev = {lang: load_dev(lang, corpora) for lang, path in DEV_FILES.items() if path.exists()}
    with tempfile.TemporaryDirectory(prefix="framecheck-claim-floors-") as work:
        piped, _info = run_pipeline([d for docs, _gold in dev.values() for d in docs], Path(work))
    out = {}
    for lang, (docs, gold) in dev.items():
        ids = {d["doc_id"] for d in docs}
        report = {"candidates": [c for c in piped if c["doc_id"] in ids], "repeats": 0, "cpu_s": 0.0, "wall_s": 0.0,
                  "load_cpu_s": 0.0}
        out[lang] = figures(docs, gold, report)
    return out


def misses(result: dict) -> list[str]:
    out = []
    for lang, by_miner in result["languages"].items():
        new = by_miner["new"]
        for key, target in TARGETS.items():
            value = new.get(key)
            ok = value is not None and (value <= target if key.startswith("candidates") else value >= target)
            if not ok:
                out.append(f"{lang} {key} = {value} (target {'<=' if key.startswith('candidates') else '>='} {target})")
    return out


def _table(result: dict) -> None:
    rows = [("R-prec", "r_precision"), ("rec@2x", "recall_at_2x"), ("cand/100", "candidates_per_100"),
            ("c/100 on", "candidates_per_100_on_topic"), ("c/100 max", "candidates_per_100_on_topic_max"),
            ("sent/s", "sentences_per_s")]
    print(f"{'lang':4} {'miner':5} {'docs':>4} {'sents':>5} {'gold':>4} {'cands':>5} "
          + " ".join(f"{h:>9}" for h, _ in rows) + "   TP/FP/FN/TN at the cut")
    for lang, by_miner in result["languages"].items():
        for miner in ("old", "new"):
            f = by_miner.get(miner)
            if not f:
                continue
            c = f["confusion"]
            print(f"{lang:4} {miner:5} {f['documents']:>4} {f['sentences']:>5} {f['targets']:>4} {f['candidates']:>5} "
                  + " ".join(f"{'-' if f[k] is None else f[k]:>9}" for _, k in rows)
                  + f"   {c['tp']}/{c['fp']}/{c['fn']}/{c['tn']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when the new miner misses a target of issue 11")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return 0
    sys.path.insert(0, str(REPO))
    from bench.shared_data import CORPORA, exit_code_when_absent
    from pipelines.claims.labelled import LabelledError

    if not CORPORA.is_dir():
        return exit_code_when_absent(CORPORA, "claim mining benchmark")
    languages = [lang for lang, path in DEV_FILES.items() if path.exists()]
    for lang, path in DEV_FILES.items():
        if not path.exists():
            print(f"{lang}: no dev set at {path.relative_to(REPO)}; skipped")
    result: dict = {"benchmark": "claim_mining", "old_commit": OLD_COMMIT, "targets": TARGETS, "languages": {}}
    with tempfile.TemporaryDirectory(prefix="framecheck-old-miner-") as tmp:
        old, why_not = _old_checkout(Path(tmp))
        if old is None:
            print(f"old miner: skipped — {why_not}")
            result["old_miner_skipped"] = why_not
        try:
            dev = {lang: load_dev(lang, CORPORA) for lang in languages}
            all_docs = [d for docs, _gold in dev.values() for d in docs]
            with tempfile.TemporaryDirectory(prefix="framecheck-claim-bench-") as work:
                piped, pipeline_info = run_pipeline(all_docs, Path(work))
            n_all = sum(d["sentences"] for d in all_docs)
            result["pipeline"] = {**pipeline_info, "sentences": n_all,
                                  "pipeline_sentences_per_s": round(n_all / pipeline_info["claims_run_cpu_s"], 1)}
            for lang, (docs, gold) in dev.items():
                ids = {d["doc_id"] for d in docs}
                timing = run_miner(REPO, docs)  # the scoring speed of the same mine_text, in one process
                new_report = {**timing, "candidates": [c for c in piped if c["doc_id"] in ids]}
                by_miner = {"new": figures(docs, gold, new_report)}
                if old is not None:
                    by_miner["old"] = figures(docs, gold, run_miner(old, docs))
                result["languages"][lang] = by_miner
        except (RuntimeError, LabelledError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    for lang, by_miner in result["languages"].items():
        if "old" in by_miner and by_miner["old"]["sentences_per_s"] and by_miner["new"]["sentences_per_s"]:
            by_miner["speed_ratio_new_to_old"] = round(by_miner["new"]["sentences_per_s"] / by_miner["old"]["sentences_per_s"], 3)
    _table(result)
    if "pipeline" in result:
        p = result["pipeline"]
        print(f"new miner through import-docs + claims run: {p['documents_imported']} documents, {p['sentences']} "
              f"sentences, {p['claims_run_cpu_s']} CPU s for claims run ({p['pipeline_sentences_per_s']} sent/s "
              "with start-up, model loading and evidence retrieval)")
    missed = misses(result)
    result["new_meets_targets"] = not missed
    for line in missed:
        print(f"new miner misses a target: {line}")
    print(json.dumps(result, ensure_ascii=False))
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
