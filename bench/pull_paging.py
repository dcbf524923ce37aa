"""Paged pull (annotation/paging.py) against a plain one-request export, on a real Label Studio
project of 5,000 tasks with annotations, in one run: tasks per second and peak memory (RSS).

Each pull runs in a process of its own (its peak RSS is its own `ru_maxrss`) from the same
project: the paged pull reads pages of --page-size tasks through the SDK's task list,
pseudonymizes each page and streams the snapshot to disk; the plain export downloads the
whole project in one request (`projects.exports.download_sync`, as `annotate pull` did before),
parses and pseudonymizes it, and writes the snapshot. Both end at the same snapshot file
(checked: same tasks and annotations); rebuilding the annotations table is left out (the
same for both).

Server: LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY, or, when unset, one started here from the
Label Studio venv (FRAMECHECK_LS_VENV, default .venv-labelstudio) on a throwaway data dir. No
server and no venv: skipped with a message, or a failure under CI=true.

Tasks are synthetic (numbered sentences, no third-party text); each has one annotation and
every fifth a second one. Runs alone: `python bench/pull_paging.py [--tasks 5000] [--page-size 500]`.
Prints a table, then one JSON line."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from shared_data import in_ci  # noqa: E402

IMPORT_BATCH = 500


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _result(choices: dict) -> list[dict]:
    return [{"from_name": name, "to_name": "claim", "type": "choices", "value": {"choices": [value]}} for name, value in choices.items()]


def make_project(client, n_tasks: int) -> int:
    from annotation.label_config import label_config
    from pipelines.kernel.facts import load_facts
    from pipelines.kernel.label_schema import load_schema

    project = client.projects.create(title=f"bench pull paging {time.time():.0f}", label_config=label_config(load_schema(), load_facts()))
    verdicts = ("accurate", "exaggerated", "misleading")
    for start in range(0, n_tasks, IMPORT_BATCH):
        batch = []
        for i in range(start, min(start + IMPORT_BATCH, n_tasks)):
            first = _result({"checkworthy": "yes", "verdict": verdicts[i % 3], "distortion": "none"})
            annotations = [{"result": first, "was_cancelled": False}]
            if i % 5 == 0:
                annotations.append({"result": _result({"checkworthy": "yes", "verdict": verdicts[(i + 1) % 3], "distortion": "none"}),
                                    "was_cancelled": False})
            batch.append({"data": {"claim_id": f"bench{i:07d}", "article_id": f"art{i // 10:06d}",
                                   "text": f"Synthetic benchmark claim number {i} about a scoring system.",
                                   "context_before": "", "context_after": "", "meta": "bench", "outlet": "bench",
                                   "camp": "western", "language": "en", "published": "", "url": f"https://bench.test/{i}",
                                   "checkworthiness": 0.5},
                          "annotations": annotations})
        client.projects.import_tasks(project.id, request=batch)
    return project.id


def worker(mode: str, project_id: int, page_size: int, out: Path) -> dict:
    """One pull in this process; prints its figures as JSON."""
    from annotation.paging import PartialPull, pull_pages
    from annotation.store import server_key
    from annotation.sync import _connect, _check_no_identities, _pseudonymize_export, _users
    from pipelines.kernel.io import DataDir, atomic_path

    client, url = _connect()
    emails, identities = _users(client)
    base = _peak_mb()
    target = out / f"{mode}.json"
    started = time.perf_counter()
    if mode == "paged":
        partial = PartialPull(DataDir(out / "data"), server_key(url), project_id, page_size)

        def clean(tasks):
            tasks = _pseudonymize_export(tasks, emails)
            _check_no_identities(tasks, identities, url)
            return tasks

        pull_pages(client, project_id, partial, clean)
        n = partial.write_snapshot(target)
        partial.finish()
    else:
        raw = b"".join(client.projects.exports.download_sync(project_id, export_type="JSON", download_all_tasks=True))
        tasks = _pseudonymize_export(json.loads(raw), emails)
        _check_no_identities(tasks, identities, url)
        with atomic_path(target) as tmp:
            tmp.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
        n = len(tasks)
    seconds = time.perf_counter() - started
    return {"mode": mode, "tasks": n, "seconds": round(seconds, 2), "tasks_per_s": round(n / seconds, 1),
            "snapshot_mb": round(target.stat().st_size / 2**20, 1),
            "peak_rss_mb": _peak_mb(), "rss_before_pull_mb": base}


def _run_worker(mode: str, project_id: int, page_size: int, out: Path, env: dict) -> dict:
    """The figures of one pull, or {"mode", "failed": last error line} (a one-request export of a
    large project can time out: that is a result, not a crash of the benchmark)."""
    cmd = [sys.executable, __file__, "--worker", mode, "--project", str(project_id), "--page-size", str(page_size), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=3600)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no output"]
        return {"mode": mode, "failed": lines[-1][:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _same_labels(out: Path) -> bool:
    def labels(path):
        return {t["data"]["claim_id"]: sorted(json.dumps(a["result"], sort_keys=True) for a in t["annotations"])
                for t in json.loads(path.read_text(encoding="utf-8"))}

    return labels(out / "paged.json") == labels(out / "plain.json")


def _server(tmp: Path):
    """(url, key, handle or None): the given server, or one started here."""
    url, key = os.environ.get("LABEL_STUDIO_URL", "").rstrip("/"), os.environ.get("LABEL_STUDIO_API_KEY", "")
    if url and key:
        return url, key, None
    from annotation import server

    ls_venv = Path(os.environ.get("FRAMECHECK_LS_VENV", REPO / ".venv-labelstudio"))
    if not (ls_venv / "bin" / "label-studio").exists():
        message = (f"LABEL_STUDIO_URL is unset and {ls_venv} has no label-studio (make labelstudio-venv); "
                   "no Label Studio to measure against")
        if in_ci():
            print(f"error: pull_paging: {message}; under CI=true that is a failure, not a skip", file=sys.stderr)
            raise SystemExit(1)
        print(f"pull_paging: skipped — {message}")
        raise SystemExit(0)
    for var in (server.ENV_USERNAME, server.ENV_PASSWORD, server.ENV_TOKEN):
        os.environ.pop(var, None)
    handle = server.start_server(tmp / "ls", ls_venv)
    print(f"started Label Studio at {handle.url} in {handle.startup_seconds} s")
    return handle.url, handle.token, handle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--worker", choices=("paged", "plain"))
    parser.add_argument("--project", type=int)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.project, args.page_size, args.out)))
        return 0

    from label_studio_sdk import LabelStudio

    with tempfile.TemporaryDirectory(prefix="bench-pull-") as tmp_name:
        tmp = Path(tmp_name)
        url, key, handle = _server(tmp)
        try:
            env = {**os.environ, "LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": key, "PYTHONPATH": str(REPO)}
            client = LabelStudio(base_url=url, api_key=key, timeout=600)
            t0 = time.perf_counter()
            project_id = make_project(client, args.tasks)
            setup = round(time.perf_counter() - t0, 1)
            annotations = args.tasks + (args.tasks + 4) // 5
            print(f"project {project_id}: {args.tasks} tasks, {annotations} annotations imported in {setup} s")
            try:
                paged = _run_worker("paged", project_id, args.page_size, tmp, env)
                plain = _run_worker("plain", project_id, args.page_size, tmp, env)
                same = "failed" not in paged and "failed" not in plain and _same_labels(tmp)
            finally:
                client.projects.delete(project_id)
        finally:
            if handle is not None:
                handle.stop()
    print(f"{'pull':<8}{'tasks':>7}{'seconds':>9}{'tasks/s':>9}{'peak RSS MB':>13}{'RSS before MB':>15}{'snapshot MB':>13}")
    for r in (paged, plain):
        if "failed" in r:
            print(f"{r['mode']:<8} failed: {r['failed']}")
            continue
        print(f"{r['mode']:<8}{r['tasks']:>7}{r['seconds']:>9}{r['tasks_per_s']:>9}{r['peak_rss_mb']:>13}"
              f"{r['rss_before_pull_mb']:>15}{r['snapshot_mb']:>13}")
    print(f"same tasks and annotations in both snapshots: {same}")

    def figure(r, key):
        return None if "failed" in r else r[key]

    ratio = (round(paged["tasks_per_s"] / plain["tasks_per_s"], 3) if "failed" not in paged and "failed" not in plain else None)
    print(json.dumps({"bench": "pull_paging", "tasks": args.tasks, "annotations": annotations, "page_size": args.page_size,
                      "paged_tasks_per_s": figure(paged, "tasks_per_s"), "plain_tasks_per_s": figure(plain, "tasks_per_s"),
                      "speed_ratio_paged_vs_plain": ratio,
                      "paged_peak_rss_mb": figure(paged, "peak_rss_mb"), "plain_peak_rss_mb": figure(plain, "peak_rss_mb"),
                      "paged_pull_rss_growth_mb": None if "failed" in paged else round(paged["peak_rss_mb"] - paged["rss_before_pull_mb"], 1),
                      "plain_pull_rss_growth_mb": None if "failed" in plain else round(plain["peak_rss_mb"] - plain["rss_before_pull_mb"], 1),
                      "paged_snapshot_mb": figure(paged, "snapshot_mb"), "plain_snapshot_mb": figure(plain, "snapshot_mb"),
                      "plain_failed": plain.get("failed"), "same_snapshot_content": same, "setup_seconds": setup}))
    if "failed" in paged:
        return 1
    return 0 if paged["tasks"] == args.tasks and (same or "failed" in plain) else 1
    return 0 if same and paged["tasks"] == plain["tasks"] == args.tasks else 1


if __name__ == "__main__":
    sys.exit(main())
