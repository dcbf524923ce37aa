"""The dataset card's Markdown body (the YAML front matter is written by release.py).

Every figure in the card comes from the release's own rows, the agreement report, the
baseline results and the changelog diff, so the card is byte-reproducible with the release."""

from __future__ import annotations

from collections import Counter

from pipelines.claims import cuts_text
from pipelines.kernel.label_schema import LabelSchema
from pipelines.release.tables import (
    SPLITS,
    ReleaseDefinition,
    ReleaseTables,
    distribution,
)

DEMO_WARNING = (
    "> **Demo corpus — not real coverage.** This release was built from FrameCheck's embedded demo web: "
    "fictional outlets and articles written by the FrameCheck developers to exercise the pipeline, with "
    "synthetic demo annotations. Do not use it to draw conclusions about any real outlet."
)

GUIDELINES = "annotation/GUIDELINES.md"


def demo_notice(folder) -> str | None:
    """The card's demo warning as plain text, when the release's card carries it (a demo build)."""
    card = folder / "README.md"
    if not card.is_file() or DEMO_WARNING not in card.read_text(encoding="utf-8"):
        return None
    return DEMO_WARNING.removeprefix("> ").replace("**", "")


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _dist_table(dist: dict[str, Counter], names: list[str], by: str) -> str:
    rows = [[key] + [dist[key].get(n, 0) for n in names] + [sum(dist[key].values())] for key in sorted(dist)]
    return _table([by] + names + ["total"], rows) if rows else "_none_"


def _set_dist(claims: list[dict], key: str, names: list[str], by: str) -> dict[str, Counter]:
    """Counts of the labels of a multi field (a list of indices per claim) by `by`."""
    table: dict[str, Counter] = {}
    for row in claims:
        for index in row.get(key) or []:
            table.setdefault(row[by], Counter())[names[index]] += 1
    return table


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _agreement_section(agreement: dict, schema: LabelSchema) -> list[str]:
    alpha = agreement.get("alpha", {})
    kinds = {f.name: f.kind for f in schema.fields}
    fields = list(alpha)
    parts = [f"> **{agreement['warning']}**"] if agreement.get("warning") else []
    parts += [
        _table(
            ["figure", "value"],
            [
                ["annotators", agreement.get("annotators", 0)],
                ["annotations", agreement.get("annotations", 0)],
                ["claims annotated", agreement.get("claims", 0)],
                ["claims with 2+ annotators", agreement.get("claims_with_overlap", 0)],
                *([["minimum claims with 2+ annotators (annotation/agreement.yaml)", agreement["min_overlap_claims"]]]
                  if "min_overlap_claims" in agreement else []),
            ]
            + [[f"Krippendorff's alpha, {f} ({'nominal' if kinds.get(f) == 'single' else 'Jaccard set distance'})",
                _fmt(v) + (f" ({agreement['overlap'][f]} claims rated by 2+)" if f in agreement.get("overlap", {}) else "")]
               for f, v in alpha.items()],
        )
    ]
    for key in ("language", "camp"):
        groups = agreement.get(f"by_{key}") or {}
        if groups:
            parts.append(f"Krippendorff's alpha by {key}:")
            parts.append(_table([key, "annotations", "claims with 2+"] + fields,
                                [[g, r.get("annotations", 0), r.get("claims_with_overlap", 0)] + [_fmt(r["alpha"].get(f)) for f in fields]
                                 for g, r in groups.items()]))
    kappa_rows = []
    for field, pairs in (agreement.get("kappa") or {}).items():
        for pair, figures in pairs.items():
            kappa_rows.append([field, pair, f"{figures['kappa']:.3f}", figures["n"]])
    if kappa_rows:
        parts.append("Cohen's kappa per annotator pair (pseudonymized annotators):")
        parts.append(_table(["field", "pair", "kappa", "claims"], kappa_rows))
    return parts


def _schema_section(schema: LabelSchema) -> str:
    rows = []
    for field in schema.fields:
        for choice in field.choices:
            rows.append([field.name, f"`{choice.value}`", choice.hint])
    return _table(["field", "label", "definition"], rows)


def _label_distributions(schema: LabelSchema, claims: list[dict]) -> list[str]:
    """Per single and multi field of the schema, its labels by camp and by language."""
    parts = []
    for field in schema.fields_of_kind("single", "multi"):
        several = " (a claim can carry several)" if field.kind == "multi" else ""
        for by in ("camp", "language"):
            dist = (distribution(claims, field.name, by, field.names) if field.kind == "single"
                    else _set_dist(claims, field.name, field.names, by))
            parts += [f"### {field.name.capitalize()} by {by}{several if by == 'camp' else ''}",
                      _dist_table(dist, field.names, by)]
    return parts


def _annotation_text(schema: LabelSchema) -> str:
    """How the gold labels are made, for the fields this schema has."""
    fields = ", ".join(f"`{f.name}`" for f in schema.fields)
    decision = " times the share behind the gold ".join(f"`{name}`" for name in schema.decision)
    agreement = (f"`agreement` is the share of annotators behind the gold {decision}, and " if decision else "")
    return (f"Annotators labeled each claim in Label Studio against the fact base (`facts` config), following the guidelines "
            f"(`{GUIDELINES}` in the FrameCheck repository): {fields}. Gold labels are the majority vote (a tie goes to the "
            "earliest annotation); set-valued fields keep labels chosen by at least half of the annotators; "
            f"{agreement}`annotator_count` says how many labeled the claim. Where annotators disagreed, a reviewer "
            "adjudicated in a review project that showed each annotator's labels and rationale: those claims carry the "
            "reviewer's decision as their gold labels and `adjudicated` true (the reviewer is not counted as an annotator). "
            "The labels, from the one label schema that also generates the Label Studio config:")


def _loading_text(schema: LabelSchema, split_info: dict, version: str, repo: str) -> list[str]:
    single = schema.fields_of_kind("single")
    shown = schema.decision[-1] if schema.decision else None
    conditional = next((f for f in single if f.required_if), None)
    example = (f", e.g. the `{conditional.name}` of a claim whose `{conditional.required_if[0]}` is not "
               f"`{conditional.required_if[1]}`" if conditional else "")
    return [
        "```python\nfrom datasets import load_dataset\n\n"
        f'claims = load_dataset("{repo}", "claims", revision="v{version}")  # also: articles, facts, spans\n'
        + (f'print(claims["train"].features["{shown}"].names)\n' if shown else "") + "```",
        "Configs: " + ", ".join(f"`{cfg}` ({sum(s['num_examples'] for s in splits)} rows)" for cfg, splits in split_info.items())
        + f". Label columns are `ClassLabel`s (integers; `-1` = not labeled{example}). "
        "`croissant.json` describes the same files in MLCommons Croissant 1.0; `SHA256SUMS` lists every file's hash.",
    ]


def _baselines_section(baselines: dict | None, plots: dict[str, str]) -> list[str]:
    if not baselines:
        return ["_Baselines were not run for this release._"]
    parts = [
        "Trained on `train`, scored on `test` and the out-of-distribution `ood_test` (held-out outlets) by "
        "`pipelines/baselines.py` (scikit-learn; seed " + str(baselines.get("seed", 0)) + "). Full figures, confusion "
        "matrices and per-class F1 by language and camp are in `baselines/baselines.json`. Models are saved with skops "
        "outside the release (`data/baselines/<release>/models/`): skops files embed zip times and would break the "
        "release's byte-reproducibility.",
        _table(["model", "description"], [[k, v] for k, v in baselines.get("models", {}).items()]),
    ]
    for task, task_result in baselines.get("tasks", {}).items():
        labels = task_result.get("labels", [])
        parts.append(f"### Baselines: {task}")
        parts.append(f"{task_result.get('description', '')}; train n={task_result.get('train_size', 0)}, "
                     + ", ".join(f"{s} n={n}" for s, n in task_result.get("eval_sizes", {}).items()) + ".")
        results = task_result.get("results", {})
        if "skipped" in results:
            parts.append(f"_Skipped: {results['skipped']}._")
            continue
        rows, group_rows = [], []
        for model, by_split in results.items():
            for split, r in by_split.items():
                if not r.get("n"):
                    continue
                rows.append([model, split, r["n"], f"{r['accuracy']:.3f}", f"{r['macro_f1']:.3f}"]
                            + [f"{r['per_class_f1'].get(label, 0):.3f}" for label in labels])
                for breakdown in ("language", "camp"):
                    for group, g in (r.get(f"by_{breakdown}") or {}).items():
                        group_rows.append([model, split, f"{breakdown}={group}", g["n"], f"{g['macro_f1']:.3f}"]
                                          + [f"{g.get('per_class_f1', {}).get(label, 0):.3f}" for label in labels])
        parts.append(_table(["model", "split", "n", "accuracy", "macro-F1"] + [f"F1 {label}" for label in labels], rows))
        if group_rows:
            parts.append("By language and camp:")
            parts.append(_table(["model", "split", "group", "n", "macro-F1"] + [f"F1 {label}" for label in labels], group_rows))
        if task in plots:
            parts.append(f"![Confusion matrices for {task}]({plots[task]})")
    return parts


def _ranker_section(card: dict | None) -> list[str]:
    """The claim ranker that chose and scored the claims: its features, training data and their
    licences, its cut and its figures on the held-apart dev set (from its model card)."""
    if not card:
        return []
    counts = card.get("training_data", {})
    rows = [[part, source, n["positive"], n["negative"]]
            for part in ("relevance", "checkworthy") for source, n in sorted(counts.get(part, {}).items())]
    metrics = (card.get("metrics") or {}).get("dev") or {}
    lines = [
        "### The claim ranker",
        f"`checkworthiness` is the ranker's score, the probability that a sentence is a checkable claim about the SCS "
        f"(relevance to the SCS x check-worthiness; features: relevance {card['features']['relevance']}, "
        f"check-worthiness {card['features']['checkworthy']}); sentences scoring at least the cut of their language "
        f"({cuts_text(card.get('cuts') or {}, card['cut'])}; {card['cut_chosen_on']}) became candidates. Model: `{card['model']}`. Trained on:",
        _table(["part", "source", "positive", "negative"], rows),
        "Licences of the training data: " + "; ".join(f"{k}: {v}" for k, v in sorted(card.get("licences", {}).items())) + ".",
    ]
    if metrics:
        lines.append(_table(["language", "dev sentences", "gold", "candidates per 100", "R-precision", "recall@2x|gold|"],
                            [[lang, m["sentences"], m["gold"], m["candidates_per_100"], m["r_precision"],
                              m["recall_at_2x_gold"]] for lang, m in sorted(metrics.items())]))
    return lines


def _changes_section(diff, version: str) -> str:
    if diff is None:
        return "See `CHANGELOG.md`."
    if diff.previous_version is None:
        return f"First release ({diff.after} claims). `CHANGELOG.md` lists the changes of every later version by claim id."
    return (f"Compared with {diff.previous_version}: {len(diff.added)} claims added, {len(diff.removed)} removed, "
            f"{len(diff.relabeled)} relabeled, {len(diff.moved)} moved between splits ({diff.before} → {diff.after}). "
            "Claim ids of every change are in `CHANGELOG.md`.")


def card_body(definition: ReleaseDefinition, schema: LabelSchema, tables: ReleaseTables, agreement: dict, split_info: dict,
              context: dict | None = None) -> str:
    context = context or {}
    claims = [row for rows in tables.rows["claims"].values() for row in rows]
    articles = [row for rows in tables.rows["articles"].values() for row in rows]
    outlets = Counter((a["outlet"], a["outlet_name"], a["camp"], a["language"], a["text_redistributed"]) for a in articles)
    claims_per_outlet = Counter(c["outlet"] for c in claims)
    split_rows = [[cfg, s["name"], s["num_examples"]] for cfg, splits in split_info.items() for s in splits]
    withheld = sum(1 for a in articles if not a["text_redistributed"])
    repo = definition.hub_repo or f"<org>/{definition.name}"
    by_split_camp = Counter((split, row["camp"], row["language"]) for split, rows in tables.rows["claims"].items() for row in rows)
    parts = [
        f"# {definition.pretty_name} (v{definition.version})",
        DEMO_WARNING if definition.demo else "",
        "## Loading",
        *_loading_text(schema, split_info, definition.version, repo),
        "## Motivation",
        definition.description,
        "Western coverage often describes one national score that watches everything a citizen does; the documented "
        "reality is fragmented (court defaulter lists, sector blacklists, corporate credit records, local pilot schemes, "
        "private scores). Chinese state media distort in the other direction. Each claim is labeled against a cited fact "
        "base of the documented reality, so both directions of distortion can be measured.",
        "## Sources",
        _table(["outlet", "name", "camp", "language", "articles", "claims", "full text shipped"],
               [[o, n, c, lang, k, claims_per_outlet.get(o, 0), "yes" if r else "no (rehydrate)"]
                for (o, n, c, lang, r), k in sorted(outlets.items())]),
        f"The fact base (`facts` config, {sum(len(r) for r in tables.rows['facts'].values())} facts) gives each fact in English and "
        "Chinese with its validity dates and primary sources (laws, State Council and court documents, official statistics) "
        "as JSON in `sources_json`.",
        "## Collection",
        "Pages were crawled with Scrapy (robots.txt obeyed, per-domain delays, honest User-Agent) into a WARC archive; "
        "article text was extracted with trafilatura from the archive, exact and near-duplicate (MinHash LSH) copies were "
        "grouped, off-topic pages were dropped by a bilingual topic score, and candidate claims were mined sentence by "
        "sentence with a learned score (`checkworthiness`, see below) and sensational-cue spans from a lexicon. "
        "`warc_file`, `warc_offset` and `body_sha256` give every article's provenance.",
        *_ranker_section(context.get("claim_ranker")),
        "## Annotation",
        _annotation_text(schema),
        _schema_section(schema),
        "### Agreement",
        *_agreement_section(agreement, schema),
        "## Splits",
        "Claims are split by article group (an article and its syndicated near-duplicate copies form one group), so no "
        f"article is in two splits. The split of a group is a hash of the seed ({definition.seed}) and its group id with "
        "ratios " + ", ".join(f"{k} {v}" for k, v in definition.ratios.items()) + ", so it stays the same across "
        "releases and does not depend on the order of the rows. Outlets held out as an out-of-distribution test "
        "(`ood_test`, every article of theirs, and any group with a copy of theirs): "
        + (", ".join(definition.ood_outlets) or "none") + ". The articles and spans configs follow their claims' splits; "
        "the facts config has one split (`train`: it is the reference, not training data).",
        _table(["config", "split", "rows"], split_rows),
        "Claims by split, camp and language:",
        _table(["split", "camp", "language", "claims"],
               [[s, c, lang, n] for (s, c, lang), n in sorted(by_split_camp.items(), key=lambda kv: (SPLITS.index(kv[0][0]), kv[0][1:]))]),
        "## Label distributions",
        *_label_distributions(schema, claims),
        "## Baselines",
        *_baselines_section(context.get("baselines"), context.get("baseline_plots") or {}),
        "## Known biases and limitations",
        "- Claims are mined by a lexicon and a heuristic check-worthiness score: claims phrased without the lexicon's terms "
        "are missed, and the candidate set leans towards sentences with figures and named actors.\n"
        "- Only claims that were annotated are released; annotators saw the evidence candidates the retriever proposed, "
        "which may anchor their choice of facts.\n"
        "- The fact base covers documents up to late 2025; claims about later events are judged against older facts.\n"
        "- Outlet coverage is uneven across camps and languages; per-camp and per-language figures on small counts are noisy, "
        "and the out-of-distribution test has one outlet per side.\n"
        "- Camps are assigned per outlet, not per article or author; an outlet's camp is a coarse proxy for its stance.\n"
        "- Language identification is automatic; Traditional Chinese is rare and mixed-language sentences are labeled by "
        "their dominant script.\n"
        "- Parquet files are byte-reproducible only with the same pyarrow version (the footer records it); baseline scores "
        "and plots only with the same scikit-learn, NumPy and matplotlib versions."
        + ("\n- **This is a demo build**: outlets, articles and annotations are fictional; the figures above describe the "
           "demo, not the media." if definition.demo else ""),
        "## Licensing",
        f"Annotations, fact base, card and metadata: {definition.license}. Article text ships only for outlets whose "
        "registry entry allows redistribution (`text_redistributed`"
        + (f"; {withheld} articles of this release are withheld" if withheld else "; every article of this release is shipped")
        + "). For the others the release carries URLs, WARC file names, offsets and hashes (`body_sha256` of the archived "
        "response, `text_sha256` of the extracted text). Whoever holds the crawl archive restores their text locally with\n\n"
        "```bash\nframecheck --data-dir DATA release rehydrate RELEASE_FOLDER  # writes DATA/rehydrated/<release>/articles/*.parquet\n```\n\n"
        "which reads each response record from the WARC archive by `warc_file` and `warc_offset`, checks `body_sha256`, "
        "re-extracts the text with the pipeline's extractor and checks `text_sha256`; without the archive, refetch the URLs "
        "(`framecheck crawl`) first. Claim sentences, their short contexts and titles are shipped for every outlet, as "
        "quotations for research; the original publishers retain the copyright of their articles.",
        "## Files and reproducibility",
        "`data/<config>/<split>.parquet` (the configs), `README.md` (this card), `croissant.json` (Croissant metadata with "
        "each Parquet file's sha256), `baselines/` (`baselines.json` and confusion-matrix PNGs), `CHANGELOG.md` (claim-level "
        "changes, newest first) and `SHA256SUMS` (every other file's sha256). Rebuilding the same inputs with the same "
        "library versions gives byte-identical files; a version is never overwritten.",
        "## Changes in this version",
        _changes_section(context.get("changelog"), definition.version),
        "## Citation",
        "```bibtex\n" + definition.citation + "\n```" if definition.citation else "",
        f"Contact: {definition.contact}" if definition.contact else "",
    ]
    return "\n\n".join(p for p in parts if p) + "\n"
