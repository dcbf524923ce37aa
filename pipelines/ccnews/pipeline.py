"""CC-NEWS (or any WARC collection) at cluster scale, on datatrove.

One pipeline, FrameCheck's own steps, run by a datatrove executor (local processes, Slurm or
Ray); each task reads its share of the WARC files and writes one Article Parquet shard:

    ArchiveReader (datatrove's WarcReader, keeping the raw record)
    → RegistryTopicFilter (outlet domain and article URL, HTTP 200, HTML, topic terms in the page)
    → ExtractArticles (the extract stage's `extract_page`: same text and metadata; off-topic dropped)
    → ArticleShardWriter (articles/NNNNN.parquet with the kernel's Article schema, atomically)

Drops are counted with datatrove's stats (`dropped_<reason>`, logs/stats.json). Resuming is
datatrove's: a task that finished has logs/completions/NNNNN and a rerun skips it. A torn or
non-WARC shard fails its task (reason in logs/failed/NNNNN.txt and the task log; no shard, no
completion, so a rerun retries it) while the other tasks finish."""

from __future__ import annotations

import html as html_lib
import os
import posixpath
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.readers import WarcReader
from loguru import logger

from pipelines.extract import Skip, extract_page
from pipelines.kernel.io import FrameCheckError, RecordWriter
from pipelines.kernel.records import Article, FetchRecord, from_row, to_row
from pipelines.kernel.registry import Registry
from pipelines.kernel.topic import Topic
from pipelines.kernel.warc import (
    ArchivedResponse,
    complete_gzip_prefix,
    response_from_record,
    sha256_hex,
)

EXECUTORS = ("local", "slurm", "ray")
FAILED_DIR = "failed"  # under the logging dir: one reason file per failed task
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)


class ArchiveReader(WarcReader):
    """datatrove's WarcReader (file sharding across tasks, limit/skip, stats), but each Document
    keeps what the extract stage reads from the archive: the raw body bytes, the HTTP status and
    headers, and where the record sits. WarcReader itself keeps only text it decoded its own way
    (utf-8, else cchardet) and drops the HTTP headers, so the text would differ from `extract`'s."""

    name = "🕷 FrameCheck WARC"

    def read_file(self, filepath: str) -> DocumentsPipeline:
        from warcio.archiveiterator import ArchiveIterator

        self.check_complete(filepath)
        with self.data_folder.open(filepath, "rb", compression=None) as fh:
            iterator = ArchiveIterator(fh)
            for index, record in enumerate(iterator):
                if record.rec_type != "response":
                    continue
                with self.track_time():
                    response = response_from_record(record)
                    short = getattr(record.raw_stream, "limit", 0)
                    if short:  # warcio reads a torn gzip member without an error, minus its end
                        raise FrameCheckError(f"{filepath}: record {index} ({response.url}) ends {short} bytes "
                                              "short of its Content-Length")
                    metadata = {"url": response.url, "status": response.status, "headers": response.headers,
                                "body": response.body, "warc_date": response.warc_date,
                                "warc_file": os.path.basename(filepath), "warc_offset": iterator.get_record_offset()}
                    # text: a cheap decoding for datatrove's stats; the extract stage decodes for real
                    text = response.body.decode("utf-8", errors="replace") or " "
                    document = self.get_document_from_dict(
                        {"text": text, "id": record.rec_headers.get_header("WARC-Record-ID") or f"{filepath}/{index}",
                         "metadata": metadata}, filepath, index)
                if document:
                    yield document

    def check_complete(self, filepath: str) -> None:
        """A gzip WARC cut short in its last member can still read without an error (warcio
        stops at the tear, sometimes with the whole last record): check the members end where
        the file does. Local files only; an object store's objects are written whole."""
        if not (self.data_folder.is_local() and filepath.endswith(".gz")):
            return
        path = Path(self.data_folder.resolve_paths(filepath))
        complete, size = complete_gzip_prefix(path), path.stat().st_size
        if complete != size:
            raise FrameCheckError(f"{path}: gzip members end at byte {complete} of {size} (torn file)")

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        try:
            yield from super().run(data, rank, world_size)
        except Exception as exc:  # a torn gzip member, a file that is not a WARC
            reason = f"torn or unreadable WARC: {type(exc).__name__}: {exc}"
            logger.error(f"task {rank}: {reason}")
            self.stat_update("failed_shard")
            raise TaskFailed(reason) from exc


class TaskFailed(Exception):
    """A task's input could not be read; the task leaves no shard and no completion."""


def _adapt(self, data: dict, path: str, id_in_file):
    return {"text": data["text"], "id": data["id"], "metadata": data["metadata"]}


class RegistryTopicFilter(BaseFilter):
    """Cheap checks on the raw record before extraction, each drop counted by reason: an outlet
    of the registry owns the URL and calls it an article URL, HTTP 200, HTML, and the page's
    tag-stripped text scores on topic even counted as its own title (an upper bound of the score
    the extracted text can reach, so no page the extract stage keeps is dropped here)."""

    name = "🔎 registry + topic"

    def __init__(self, registry: Registry, topic: Topic):
        super().__init__()
        self.registry, self.topic = registry, topic

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        meta = doc.metadata
        reason = prefilter_reason(self.registry, self.topic, meta["url"], meta["status"], meta["headers"], meta["body"])
        if reason:
            return False, reason
        outlet = self.registry.for_url(meta["url"])
        meta["outlet_id"], meta["camp"] = outlet.id, outlet.camp
        return True


def prefilter_reason(registry: Registry, topic: Topic, url: str | None, status: int, headers: dict, body: bytes) -> str | None:
    """Why a raw record goes no further before extraction (RegistryTopicFilter), or None."""
    outlet = registry.for_url(url or "")
    if outlet is None:
        return "not_in_registry"
    if not outlet.is_article_url(url):
        return "not_article_url"
    if status != 200:
        return f"http_{status}"
    content_type = headers.get("content-type", "").lower()
    if content_type and "html" not in content_type and "xml" not in content_type:
        return "not_html"
    from pipelines.kernel.encoding import decode_html

    page = html_lib.unescape(_TAGS.sub(" ", decode_html(body, content_type or None)))
    return None if topic.is_relevant(page, page) else "off_topic_page"


class ExtractArticles(PipelineStep):
    """The extract stage's extraction (`extract_page`) on each record; the Article goes on in
    the Document's metadata. Skips and off-topic articles are dropped, counted by reason."""

    name = "📰 FrameCheck extract"
    type = "🔨 - EXTRACT"

    def __init__(self, registry: Registry, topic: Topic):
        super().__init__()
        self.registry, self.topic = registry, topic

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from pipelines.extract import warm_up

        warm_up()
        for doc in data:
            self.stat_update("total")
            with self.track_time():
                result = self.extract(doc)
            if isinstance(result, Skip):
                self.stat_update(f"dropped_{result.reason.split(':')[0]}")
                continue
            if result.relevance < self.topic.min_score:
                self.stat_update("dropped_off_topic")
                continue
            self.stat_update("forwarded")
            doc.metadata["article"] = to_row(result)
            yield doc

    def extract(self, doc: Document) -> Article | Skip:
        meta = doc.metadata
        headers = meta["headers"]
        response = ArchivedResponse(url=meta["url"], status=meta["status"], headers=headers, body=meta["body"],
                                    warc_date=meta["warc_date"])
        fetch = FetchRecord(url=meta["url"], final_url=meta["url"], status=meta["status"], fetched_at=meta["warc_date"],
                            sha256=sha256_hex(meta["body"]), outlet_id=meta.get("outlet_id", ""),
                            camp=meta.get("camp", ""), kind="article", content_type=headers.get("content-type", ""),
                            warc_file=meta["warc_file"], warc_offset=meta["warc_offset"], skip_reason=None,
                            run_id="ccnews")
        try:
            return extract_page(response, fetch, self.registry, self.topic)
        except Exception as exc:  # a bug on one page must not end a task over thousands
            return Skip(f"extract_failed:{type(exc).__name__}", meta["url"])


class ArticleShardWriter(PipelineStep):
    """One Article Parquet shard per task (articles/NNNNN.parquet), written to a temporary
    file and moved into place (local) or uploaded whole (object stores), so a shard is either
    complete or absent; the claims stage reads the shards as they are."""

    name = "💾 Article shards"
    type = "💽 - WRITER"

    def __init__(self, output_folder: str):
        super().__init__()
        self.output_folder = output_folder

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        folder = get_datafolder(self.output_folder)
        target = f"articles/{rank:05d}.parquet"
        folder.makedirs("articles", exist_ok=True)
        # local: the temporary file sits beside the shard, so the rename is atomic
        fd, tmp_name = tempfile.mkstemp(prefix=f".{rank:05d}.", suffix=".parquet",
                                        dir=folder.resolve_paths("articles") if folder.is_local() else None)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            writer = RecordWriter(tmp, Article)
            try:
                for doc in data:
                    writer.add(from_row(Article, doc.metadata["article"]))
                    self.stat_update("articles")
                    yield doc
            except TaskFailed as exc:
                # the task ends here without a shard; run_ccnews withdraws its completion, so the
                # other tasks of a local pool are not cut short by an exception and a rerun retries it
                writer.close()
                folder.makedirs(f"logs/{FAILED_DIR}", exist_ok=True)
                with folder.open(f"logs/{FAILED_DIR}/{rank:05d}.txt", "wt") as fh:
                    fh.write(str(exc) + "\n")
                return
            writer.close()
            if folder.is_local():
                os.replace(tmp, folder.resolve_paths(target))
            else:
                folder.put_file(str(tmp), target)
        finally:
            tmp.unlink(missing_ok=True)


@dataclass
class CCNewsRun:
    """What one `run_ccnews` did."""

    out: str
    tasks: int
    executor: str
    shards: list[str] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    skipped_completed: int = 0
    stats: dict = field(default_factory=dict)


def expand_warcs(patterns: list[str]) -> list[str]:
    """WARC files named by paths or glob patterns, local or on any fsspec filesystem (s3://…)."""
    from fsspec.core import get_fs_token_paths

    files: list[str] = []
    for pattern in patterns:
        fs, _token, paths = get_fs_token_paths(str(pattern))
        found = [fs.unstrip_protocol(p) if "://" in str(pattern) else p for p in paths if fs.isfile(p)]
        if not found:
            raise FrameCheckError(f"{pattern}: no WARC files match")
        files += found
    return sorted(set(files))


def common_folder(files: list[str]) -> tuple[str, list[str]]:
    """The folder holding all the files (datatrove's data_folder) and their paths inside it."""
    protocol, _, _ = files[0].rpartition("://")
    bare = [f.split("://", 1)[-1] for f in files]
    base = posixpath.commonpath([posixpath.dirname(f) for f in bare])
    relative = [posixpath.relpath(f, base) for f in bare]
    return (f"{protocol}://{base}" if protocol else base), relative


def build_pipeline(warcs: list[str], out: str, registry: Registry, topic: Topic) -> list[PipelineStep]:
    """The four steps over these WARC files, writing shards under `out`."""
    files = expand_warcs(warcs)
    base, relative = common_folder(files)
    folder = get_datafolder(out)
    folder.makedirs("logs", exist_ok=True)
    with folder.open("logs/warc_paths.txt", "wt") as fh:
        fh.write("".join(f"{path}\n" for path in relative))
    reader = ArchiveReader(base, paths_file=folder.resolve_paths("logs/warc_paths.txt"), adapter=_adapt)
    return [reader, RegistryTopicFilter(registry, topic), ExtractArticles(registry, topic), ArticleShardWriter(out)]


def make_executor(pipeline: list, out: str, tasks: int, workers: int, executor: str, slurm: dict | None = None):
    logging_dir = get_datafolder(out).resolve_paths("logs")
    if executor == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir, start_method="fork")
    if executor == "slurm":
        # imported only when chosen: the Slurm executor submits sbatch jobs
        from datatrove.executor import SlurmPipelineExecutor

        options = {"time": "04:00:00", "partition": "", **(slurm or {})}
        if not options["partition"]:
            raise FrameCheckError("--executor slurm: --slurm-partition is required")
        return SlurmPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir, **options)
    if executor == "ray":
        # imported only when chosen: ray is an optional, large dependency
        try:
            import ray  # noqa: F401
        except ImportError:
            raise FrameCheckError("--executor ray: ray is not installed (pip install 'ray[default]')") from None
        from datatrove.executor import RayPipelineExecutor

        return RayPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=logging_dir)
    raise FrameCheckError(f"--executor: {executor!r} is not one of {', '.join(EXECUTORS)}")


def _withdraw_failed(out: str) -> dict[int, str]:
    """Failed tasks keep no completion, so a rerun retries them; their reasons."""
    folder = get_datafolder(out)
    failed = {}
    for path in folder.glob(f"logs/{FAILED_DIR}/*.txt"):
        rank = int(os.path.basename(path).split(".")[0])
        with folder.open(path, "rt") as fh:
            failed[rank] = fh.read().strip()
        completion = f"logs/completions/{rank:05d}"
        if folder.isfile(completion):
            folder.rm(completion)
    return failed


def run_ccnews(warcs: list[str], out: str, registry: Registry, topic: Topic, tasks: int = 1, workers: int = 1,
               executor: str = "local", slurm: dict | None = None) -> CCNewsRun:
    """Build the pipeline and run it; with the local executor, wait and summarise."""
    import json

    folder = get_datafolder(out)
    for path in folder.glob(f"logs/{FAILED_DIR}/*.txt"):
        folder.rm(path)  # a retried task writes its reason again if it fails again
    pipeline = build_pipeline(warcs, out, registry, topic)
    runner = make_executor(pipeline, out, tasks, workers, executor, slurm)
    done_before = sum(folder.isfile(f"logs/completions/{r:05d}") for r in range(tasks))
    runner.run()
    result = CCNewsRun(out=out, tasks=tasks, executor=executor, skipped_completed=done_before)
    if executor == "slurm":
        return result  # the sbatch jobs run on; completions and shards appear under out
    result.failed = _withdraw_failed(out)
    result.shards = sorted(folder.resolve_paths(p) for p in folder.glob("articles/*.parquet"))
    if folder.isfile("logs/stats.json"):
        with folder.open("logs/stats.json", "rt") as fh:
            result.stats = {step["name"]: step["stats"] for step in json.load(fh)}
    return result
