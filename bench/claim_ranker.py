"""Claim ranker: hashed character n-gram TF-IDF vs multilingual sentence embeddings (USE), for
relevance and for check-worthiness, trained on the same data and measured on the dev
references in the same run; and scoring speed on one core (sentences/s), with the plain
hashed model as the baseline ratio.

    python bench/claim_ranker.py [--dev FILE…] [--train FILE…]

Needs ../shared/corpora (FRAMECHECK_SHARED); skips locally, fails under CI=true when absent.
Ends with ONE JSON line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.shared_data import CORPORA, exit_code_when_absent  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def default_refs(kind: str) -> list[Path]:
    folder = REPO / ("bench/devsets" if kind == "dev" else "pipelines/claims/training")
    return sorted(folder.glob(f"claims_*_{kind}.jsonl"))


def speed(ranker, sentences: list[str]) -> float:
    import numpy as np

    groups = np.repeat(np.arange(len(sentences) // 20 + 1), 20)[: len(sentences)]  # 20-sentence documents
    ranker.score_sentences(sentences[:50], groups[:50])  # warm up (the encoder loads lazily)
    started = time.perf_counter()
    ranker.score_sentences(sentences, groups)
    return len(sentences) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", nargs="*", type=Path, default=None)
    parser.add_argument("--train", nargs="*", type=Path, default=None)
    parser.add_argument("--speed-sentences", type=int, default=2000)
    args = parser.parse_args()
    if not CORPORA.is_dir():
        return exit_code_when_absent(CORPORA, "claim ranker benchmark")
    from pipelines.claims.evaluate import choose_cuts, per_language, scored_refs
    from pipelines.claims.ranker import ClaimRanker
    from pipelines.claims.train import fit, load_training_data, _sentences, _jsonl

    dev = args.dev if args.dev is not None else default_refs("dev")
    train = args.train if args.train is not None else default_refs("train")
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    data = load_training_data(CORPORA, train, dev, progress=log)
    cache: dict = {}
    # speed sample: real on-topic documents, English and Chinese, not used in training
    speed_sentences: list[str] = []
    for record in _jsonl(CORPORA / "cctv-xwlb" / "scs_stories.jsonl"):
        speed_sentences += _sentences(record["text"], "zh-Hans")
    for record in _jsonl(CORPORA / "en-scs-texts" / "docs.jsonl"):
        speed_sentences += _sentences(record["text"], "en")
    speed_sentences = speed_sentences[::max(1, len(speed_sentences) // args.speed_sentences)][: args.speed_sentences]
    results = {}
    for relevance_kind, checkworthy_kind in (("hash", "hash"), ("hash", "use"), ("use", "use"), ("use", "hash")):
        name = f"relevance={relevance_kind},checkworthy={checkworthy_kind}"
        log(f"fitting {name}")
        bundle = fit(data, relevance_kind, checkworthy_kind, progress=log, embeddings=cache)
        variants = [(name, bundle)]
        if bundle["prefilter_cut"] > 0:  # the embeddings' own quality, without the cascade's prefilter
            variants.append((name + ",no_cascade", {**bundle, "prefilter_cut": 0.0}))
        for variant, variant_bundle in variants:
            ranker = ClaimRanker(variant_bundle)
            scored = scored_refs(ranker, dev, CORPORA) if dev else []
            cuts, pooled = choose_cuts(scored) if scored else ({}, bundle["cut"])
            results[variant] = {"cuts": {k: round(v, 4) for k, v in cuts.items()}, "cut": round(pooled, 4),
                                "dev": per_language(scored, cuts or pooled),
                                "sentences_per_s": round(speed(ranker, speed_sentences), 1),
                                "prefilter_cut": round(variant_bundle["prefilter_cut"], 4)}
            log(json.dumps({variant: results[variant]}))
    baseline = results["relevance=hash,checkworthy=hash"]["sentences_per_s"]
    for r in results.values():
        r["speed_ratio_vs_hashed"] = round(r["sentences_per_s"] / baseline, 3)
    print(json.dumps({"bench": "claim_ranker", "dev_files": [p.name for p in dev], "train_files": [p.name for p in train],
                      "training_counts": data.counts(), "variants": results}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
