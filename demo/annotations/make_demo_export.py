"""Regenerate the committed demo annotations (demo/annotations/demo_export.json).

The demo articles were written together with a label key (labels_key_*.yaml): for each
page, the sentences that talk about the SCS and how a careful annotator labels them. This
script turns the key into a Label Studio JSON export as three pseudonymous demo
annotators would have produced it: annotator 1 labels every keyed claim, annotators 2
and 3 relabel overlapping shares, with the kinds of disagreement real annotators show
(neighbouring verdicts, a missed frame). It is demo data and says so.

Run after `make claims`:  python demo/annotations/make_demo_export.py --data-dir data
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from annotation import prediction, task_payload  # noqa: E402
from pipelines.kernel.io import DataDir, read_records  # noqa: E402
from pipelines.kernel.records import Article, Claim  # noqa: E402

ANNOTATORS = {
    1: "demo-annotator-1@framecheck.invalid",
    2: "demo-annotator-2@framecheck.invalid",
    3: "demo-annotator-3@framecheck.invalid",
}
OVERLAP_2 = 0.45  # share of claims annotator 2 also labels
OVERLAP_3 = 0.20
DISAGREE = 0.18  # share of a second annotator's labels that differ from the first
NEIGHBOUR_VERDICT = {"accurate": "unverifiable", "exaggerated": "misleading", "misleading": "exaggerated",
                     "false": "exaggerated", "unverifiable": "accurate"}


def _unit(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def load_key() -> dict[str, list[dict]]:
    key: dict[str, list[dict]] = {}
    for path in sorted(HERE.glob("labels_key_*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            key[entry["page"]] = entry.get("claims") or []
    return key


def result_items(labels: dict, claim_text: str) -> list[dict]:
    items = [{"from_name": "checkworthy", "to_name": "claim", "type": "choices", "value": {"choices": [labels["checkworthy"]]}}]
    if labels["checkworthy"] == "yes":
        items.append({"from_name": "verdict", "to_name": "claim", "type": "choices", "value": {"choices": [labels["verdict"]]}})
        items.append({"from_name": "distortion", "to_name": "claim", "type": "choices", "value": {"choices": [labels["distortion"]]}})
    if labels.get("frames"):
        items.append({"from_name": "frames", "to_name": "claim", "type": "choices", "value": {"choices": list(labels["frames"])}})
    if labels.get("evidence"):
        items.append({"from_name": "evidence", "to_name": "claim", "type": "choices", "value": {"choices": list(labels["evidence"])}})
    for cue in labels.get("cues") or []:
        start = claim_text.find(cue["text"])
        if start >= 0:
            items.append({"from_name": "cues", "to_name": "claim", "type": "labels",
                          "value": {"start": start, "end": start + len(cue["text"]), "text": cue["text"], "labels": [cue["label"]]}})
    if labels.get("rationale"):
        items.append({"from_name": "rationale", "to_name": "claim", "type": "textarea", "value": {"text": [labels["rationale"]]}})
    return items


def second_opinion(labels: dict, claim_id: str, who: int) -> dict:
    """A second annotator's labels: mostly the same, sometimes a neighbouring judgement."""
    labels = dict(labels)
    if _unit(f"{who}:{claim_id}:disagree") < DISAGREE:
        if labels["checkworthy"] == "yes" and labels.get("verdict"):
            labels["verdict"] = NEIGHBOUR_VERDICT[labels["verdict"]]
        elif labels["checkworthy"] != "yes":
            labels["checkworthy"] = "no-opinion" if labels["checkworthy"] != "no-opinion" else "no-satire"
        if labels.get("distortion") in ("overstates", "understates") and _unit(f"{who}:{claim_id}:distortion") < 0.3:
            labels["distortion"] = "none"
    if labels.get("frames") and len(labels["frames"]) > 1 and _unit(f"{who}:{claim_id}:frames") < 0.3:
        labels["frames"] = labels["frames"][:-1]
    if labels.get("evidence") and len(labels["evidence"]) > 1 and _unit(f"{who}:{claim_id}:evidence") < 0.25:
        labels["evidence"] = labels["evidence"][:-1]
    labels["rationale"] = ""  # second annotators rarely write one
    return labels


def match_claims(key, articles: list[Article], claims: list[Claim]) -> tuple[list[tuple[Claim, dict]], list[str]]:
    by_path = {urlsplit(a.url).path: a for a in articles}
    by_id = {a.article_id: a for a in articles}
    claims_by_article: dict[str, list[Claim]] = {}
    for c in claims:
        claims_by_article.setdefault(c.article_id, []).append(c)
    matched, missed = [], []
    seen = set()
    for page, entries in sorted(key.items()):
        article = by_path.get(page)
        if article is None:
            missed += [f"{page}: page not among the articles" for _ in entries]
            continue
        canonical = by_id.get(article.duplicate_of or article.article_id, article)
        for labels in entries:
            quote = " ".join(labels["quote"].split())
            start = " ".join(canonical.text.split()).find(quote)
            hit = next((c for c in claims_by_article.get(canonical.article_id, []) if quote in " ".join(c.text.split())
                        or " ".join(c.text.split()) in quote), None)
            if hit is None or start < 0 and hit is None:
                missed.append(f"{page}: {quote[:70]}")
                continue
            if hit.claim_id not in seen:
                seen.add(hit.claim_id)
                matched.append((hit, labels))
    return matched, missed


def build_export(matched: list[tuple[Claim, dict]], outlet_names: dict[str, str]) -> list[dict]:
    tasks, annotation_id = [], 0
    for task_id, (claim, labels) in enumerate(sorted(matched, key=lambda m: m[0].claim_id), start=1):
        anns = []
        who_labels = [(1, labels)]
        if _unit(f"2:{claim.claim_id}") < OVERLAP_2:
            who_labels.append((2, second_opinion(labels, claim.claim_id, 2)))
        if _unit(f"3:{claim.claim_id}") < OVERLAP_3:
            who_labels.append((3, second_opinion(labels, claim.claim_id, 3)))
        for who, values in who_labels:
            annotation_id += 1
            anns.append({
                "id": annotation_id,
                "completed_by": {"id": who, "email": ANNOTATORS[who]},
                "result": result_items(values, claim.text),
                "was_cancelled": False,
                "created_at": f"2026-11-{10 + who:02d}T09:{task_id % 60:02d}:00Z",
                "lead_time": round(20 + 40 * _unit(f"lead:{who}:{claim.claim_id}"), 1),
            })
        tasks.append({"id": task_id, "data": task_payload(claim, outlet_names.get(claim.outlet_id)),
                      "annotations": anns, "predictions": [prediction(claim)]})
    return tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--out", type=Path, default=HERE / "demo_export.json")
    args = parser.parse_args()
    data = DataDir(args.data_dir)
    articles = read_records(data.table("articles"), Article)
    claims = read_records(data.table("claims"), Claim)
    matched, missed = match_claims(load_key(), articles, claims)
    tasks = build_export(matched, {a.outlet_id: a.outlet_name for a in articles})
    args.out.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    total = len(matched) + len(missed)
    print(f"{len(tasks)} tasks, {sum(len(t['annotations']) for t in tasks)} annotations -> {args.out}")
    print(f"keyed claims found by the miner: {len(matched)}/{total} ({len(matched) / max(total, 1):.0%})")
    for line in missed:
        print("  missed:", line)


if __name__ == "__main__":
    main()
