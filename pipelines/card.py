"""The dataset card's Markdown body (the YAML front matter is written by release.py)."""

from __future__ import annotations

from collections import Counter

from annotation.schema import LabelSchema
from pipelines.release import ReleaseDefinition, ReleaseTables, distribution

DEMO_WARNING = (
    "> **Demo corpus — not real coverage.** This release was built from FrameCheck's embedded demo web: "
    "fictional outlets and articles written by the FrameCheck developers to exercise the pipeline, with "
    "synthetic demo annotations. Do not use it to draw conclusions about any real outlet."
)


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _dist_table(dist: dict[str, Counter], names: list[str], by: str) -> str:
    rows = [[key] + [dist[key].get(n, 0) for n in names] for key in sorted(dist)]
    return _table([by] + names, rows) if rows else "_none_"


def card_body(definition: ReleaseDefinition, schema: LabelSchema, tables: ReleaseTables, agreement: dict, split_info: dict) -> str:
    claims = [row for rows in tables.rows["claims"].values() for row in rows]
    articles = [row for rows in tables.rows["articles"].values() for row in rows]
    outlets = Counter((a["outlet"], a["outlet_name"], a["camp"], a["language"]) for a in articles)
    split_rows = [[cfg, s["name"], s["num_examples"]] for cfg, splits in split_info.items() for s in splits]
    verdicts, distortions = schema.class_names("verdict"), schema.class_names("distortion")
    alpha = agreement.get("alpha", {})
    parts = [
        f"# {definition.pretty_name} (v{definition.version})",
        DEMO_WARNING if definition.demo else "",
        "## Motivation",
        definition.description,
        "Western coverage often describes one national score that watches everything a citizen does; the documented "
        "reality is fragmented (court defaulter lists, sector blacklists, corporate credit records, local pilot schemes, "
        "private scores). Chinese state media distort in the other direction. Each claim is labeled against a cited fact "
        "base of the documented reality, so both directions of distortion can be measured.",
        "## Sources",
        _table(["outlet", "name", "camp", "language", "articles"], [[o, n, c, l, k] for (o, n, c, l), k in sorted(outlets.items())]),
        "## Collection",
        "Pages were crawled with Scrapy (robots.txt obeyed, per-domain delays, honest User-Agent) into a WARC archive; "
        "article text was extracted with trafilatura from the archive, exact and near-duplicate (MinHash LSH) copies were "
        "grouped, off-topic pages were dropped by a bilingual topic score, and candidate claims were mined sentence by "
        "sentence with a check-worthiness score. `warc_file`, `warc_offset` and `body_sha256` give every article's provenance.",
        "## Annotation",
        "Annotators labeled each claim in Label Studio against the fact base (`facts` config), following "
        "`annotation/GUIDELINES.md`: check-worthiness, verdict, distortion direction, frames, sensational spans, "
        "evidence fact ids and a rationale. Gold labels are the majority vote; set-valued fields keep labels chosen by at "
        "least half of the annotators.",
        _table(
            ["figure", "value"],
            [
                ["annotators", agreement.get("annotators", 0)],
                ["annotations", agreement.get("annotations", 0)],
                ["claims with 2+ annotators", agreement.get("claims_with_overlap", 0)],
            ]
            + [[f"Krippendorff's alpha ({f}, nominal)", "n/a" if v is None else f"{v:.3f}"] for f, v in alpha.items()],
        ),
        "## Splits",
        "Claims are split by article group (an article and its syndicated near-duplicate copies form one group), so no "
        f"article is in two splits. The split of a group is a hash of the seed ({definition.seed}) and its group id, so "
        "it stays the same across releases. Outlets held out as an out-of-distribution test: "
        + (", ".join(definition.ood_outlets) or "none") + ".",
        _table(["config", "split", "rows"], split_rows),
        "## Label distributions",
        "### Verdict by camp",
        _dist_table(distribution(claims, "verdict", "camp", verdicts), verdicts, "camp"),
        "### Verdict by language",
        _dist_table(distribution(claims, "verdict", "language", verdicts), verdicts, "language"),
        "### Distortion direction by camp",
        _dist_table(distribution(claims, "distortion", "camp", distortions), distortions, "camp"),
        "## Known biases and limitations",
        "- Claims are mined by a lexicon and a heuristic check-worthiness score: claims phrased without the lexicon's terms "
        "are missed, and the candidate set leans towards sentences with figures and named actors.\n"
        "- The fact base covers documents up to late 2025; claims about later events are judged against older facts.\n"
        "- Outlet coverage is uneven across camps and languages; per-camp figures on small counts are noisy.\n"
        "- Parquet files are byte-reproducible only with the same pyarrow version (the footer records it).",
        "## Licensing",
        f"Annotations, fact base and card: {definition.license}. Article text ships only for outlets whose registry entry "
        "allows redistribution (`text_redistributed`); for the others the release carries URLs, offsets and hashes, and "
        "`framecheck release rehydrate` restores text locally from the archive.",
        "## Citation",
        "```bibtex\n" + definition.citation + "\n```" if definition.citation else "",
        f"Contact: {definition.contact}" if definition.contact else "",
    ]
    return "\n\n".join(p for p in parts if p) + "\n"
