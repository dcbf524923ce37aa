"""Publishing a built release: upload to the Hugging Face Hub, and rehydrate the article text it withholds from the local archive."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.kernel.io import DataDir, FrameCheckError, StageSummary
from pipelines.kernel.registry import combined_registry
from pipelines.kernel.step import Step, StepContext


def push_release(release: Path, repo_id: str, dry_run: bool) -> StageSummary:
    """Upload a release folder to the Hub as a dataset repo and tag the commit with its version.

    The token comes from HF_TOKEN only; --dry-run needs neither a token nor the network."""
    from pipelines.kernel.releases import read_card_data, release_version

    if not (release / "README.md").exists() or not (release / "SHA256SUMS").exists():
        raise FrameCheckError(f"{release}: not a release folder (README.md and SHA256SUMS expected)")
    version = release_version(release)
    if version is None:
        raise FrameCheckError(f"{release}: no version found (croissant.json missing and the folder is not named like 1.2.3)")
    _verify_sums(release)
    files = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    summary = StageSummary("release push", records_in=len(files))
    read_card_data(release)  # the card's front matter must parse, as the Hub will parse it
    tag = f"v{version}"
    if dry_run:
        size = sum((release / f).stat().st_size for f in files)
        summary.notes += [f"would upload {f}" for f in files]
        summary.notes.append(f"would create dataset repo {repo_id} if missing, upload {len(files)} files ({size} bytes) and tag {tag}")
        return summary
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise FrameCheckError("HF_TOKEN is not set: the Hub token is read from the environment only (use --dry-run to see what would go)")
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    doing = f"create or find the dataset repo {repo_id}"
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        doing = f"upload {release} to {repo_id}"
        commit = api.upload_folder(folder_path=str(release), repo_id=repo_id, repo_type="dataset",
                                   commit_message=f"Release {tag}")
        doing = f"tag the uploaded commit {tag} (the files are on the Hub; rerun to tag)"
        api.create_tag(repo_id, tag=tag, repo_type="dataset", revision=commit.oid)
    except _hub_errors() as exc:
        raise FrameCheckError(f"{api.endpoint}: could not {doing}: {type(exc).__name__}: {_first_line(exc)}") from None
    summary.records_out = len(files)
    summary.outputs.append(f"https://huggingface.co/datasets/{repo_id} (tag {tag})")
    return summary


def _hub_errors() -> tuple[type[BaseException], ...]:
    """What the Hub client raises when the Hub is unreachable or refuses: its HTTP errors,
    its HTTP library's transport errors (httpx2 in huggingface_hub 2.x, httpx in 1.x;
    requests' in 0.x are OSErrors) and socket errors."""
    import importlib

    from huggingface_hub.errors import HfHubHTTPError

    errors: list[type[BaseException]] = [HfHubHTTPError, OSError]
    for library in ("httpx2", "httpx"):
        try:
            errors.append(importlib.import_module(library).HTTPError)
        except ImportError:
            pass
    return tuple(errors)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no detail"


def _verify_sums(release: Path) -> None:
    """Every file listed in SHA256SUMS is present with its hash, and nothing else is there."""
    from pipelines.kernel.releases import sums_mismatch

    mismatch = sums_mismatch(release)
    if mismatch:
        raise FrameCheckError(f"{release}: files do not match SHA256SUMS ({mismatch})")


def rehydrate_release(data: DataDir, release: Path, ctx: StepContext, out: Path | None = None) -> StageSummary:
    """Restore the article text a release withholds, from the local WARC archive.

    For each article without text: read the response record at (warc_file, warc_offset),
    check its body against body_sha256, extract the text with the pipeline's own extractor
    and check it against text_sha256. Writes articles Parquet files (same schema, text
    filled) under out (default data/rehydrated/<release>/articles/); the release itself is
    never touched."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.extract import Skip, extract_page
    from pipelines.kernel.io import atomic_path
    from pipelines.kernel.records import FetchRecord
    from pipelines.kernel.topic import load_topic
    from pipelines.kernel.warc import read_response, sha256_hex

    source = release / "data" / "articles"
    files = sorted(source.glob("*.parquet"))
    if not files:
        raise FrameCheckError(f"{source}: no articles Parquet files (is {release} a release folder?)")
    target = out or data.root / "rehydrated" / release.name
    registry, topic = combined_registry(data), load_topic()
    summary, log = ctx.summary, ctx.skips
    restored = 0
    for file in files:
        table = pq.read_table(file)
        rows = table.to_pylist()
        for row in rows:
            summary.records_in += 1
            if row["text"] is not None:
                summary.skip("text_already_in_release")
                continue
            reason = None
            try:
                response = read_response(data.warc_dir / row["warc_file"], row["warc_offset"])
            except FrameCheckError:
                reason = "warc_record_missing"
            except Exception as exc:  # a truncated or damaged record
                reason = f"warc_record_unreadable:{type(exc).__name__}"
            if reason is None and sha256_hex(response.body) != row["body_sha256"]:
                reason = "body_sha256_mismatch"
            if reason is None:
                fetch = FetchRecord(url=row["url"], final_url=row["url"], status=200, fetched_at="", sha256=row["body_sha256"],
                                    outlet_id=row["outlet"], camp=row["camp"], kind="article", content_type="",
                                    warc_file=row["warc_file"], warc_offset=row["warc_offset"], skip_reason=None, run_id="")
                result = extract_page(response, fetch, registry, topic)
                if isinstance(result, Skip):
                    reason = f"extract:{result.reason}"
                elif result.text_sha256 != row["text_sha256"]:
                    reason = "text_sha256_mismatch"
                else:
                    row["text"] = result.text
                    restored += 1
            if reason is not None:
                summary.skip(reason)
                log.write(reason, article_id=row["article_id"], warc_file=row["warc_file"], warc_offset=row["warc_offset"])
        with atomic_path(target / "articles" / file.name) as tmp:
            pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), tmp, compression="zstd")
        summary.outputs.append(str(target / "articles" / file.name))
    summary.records_out = restored
    summary.notes.append(f"restored the text of {restored} articles; load with "
                         f"load_dataset('parquet', data_files={{'train': '{target}/articles/train.parquet', ...}})")
    return summary


class PushReleaseStep(Step):
    """`framecheck release push`: a built release → a Hub dataset repo, tagged with its version."""

    name = "release push"
    skippable = False  # the Hub's state is an input the runner cannot fingerprint

    def __init__(self, data: DataDir, release: Path, repo_id: str, dry_run: bool = False):
        super().__init__(data)
        self.release, self.repo_id, self.dry_run = release, repo_id, dry_run

    def run(self, ctx: StepContext) -> None:
        ctx.absorb(push_release(self.release, self.repo_id, self.dry_run))


class RehydrateStep(Step):
    """`framecheck release rehydrate`: the article text a release withholds, from the local archive."""

    name = "rehydrate"
    skippable = False  # its input is the whole archive: hashing it would cost more than the work

    def __init__(self, data: DataDir, release: Path, out: Path | None = None):
        super().__init__(data)
        self.release, self.out = release, out

    def run(self, ctx: StepContext) -> None:
        rehydrate_release(self.data, self.release, ctx, self.out)
