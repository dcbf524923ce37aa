"""`make labelstudio DB=postgres`: Label Studio on a PostgreSQL cluster of its own under the
data dir (annotation/server.py), with Debian's PostgreSQL 15 server binaries. Slow (a first
start migrates the database: 60-110 s here); runs wherever the binaries and the Label Studio
venv exist (CI has both), and skips with a message elsewhere."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import stat
import tempfile
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from ls_fixtures import make_claims, sdk, write_claims_table

from annotation import server
from pipelines.kernel.io import FrameCheckError

LS_VENV = Path(os.environ.get("FRAMECHECK_LS_VENV", REPO / ".venv-labelstudio"))
needs_postgres = pytest.mark.skipif(not (server.PG_BIN / "initdb").exists(),
                                    reason=f"no PostgreSQL server binaries in {server.PG_BIN} (apt-get install postgresql-15)")


@pytest.fixture
def searchable_dir():
    """A data dir the postgres account can reach (pytest's own temp dirs are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="fc-pg-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@needs_postgres
@pytest.mark.timeout(900)
def test_label_studio_on_postgres_survives_a_killed_wrapper(searchable_dir, monkeypatch):
    if not (LS_VENV / "bin" / "label-studio").exists():
        pytest.skip(f"{LS_VENV} has no label-studio (make labelstudio-venv)")
    for var in (server.ENV_USERNAME, server.ENV_PASSWORD, server.ENV_TOKEN):
        monkeypatch.delenv(var, raising=False)
    root = searchable_dir / "data"
    write_claims_table(root)
    handle = server.start_server(root, LS_VENV, db="postgres")
    try:
        pg = handle.postgres
        assert handle.first_start and pg.created and (pg.cluster / server.PG_MARK).exists()
        assert pg.run_as == ("postgres" if os.geteuid() == 0 else None)
        assert pg.cluster.stat().st_uid == (pwd.getpwnam(pg.run_as).pw_uid if pg.run_as else os.geteuid())
        for secret_file in (server.CREDENTIALS_FILE, server.PG_ENV_FILE):
            assert stat.S_IMODE((root / "labelstudio" / secret_file).stat().st_mode) == 0o600
        assert not (root / "labelstudio" / server.DB_FILE).exists(), "no SQLite database beside it"
        env = {"LABEL_STUDIO_URL": handle.url, "LABEL_STUDIO_API_KEY": handle.token}
        run_cli("annotate", "push", "--project", "on postgres", "--annotators", 1, data_dir=root, env=env)
        pulled = run_cli("annotate", "pull", "--project", "on postgres", "--annotators", 1, "--page-size", 2, data_dir=root, env=env)
        assert "5 tasks in 3 page(s) of up to 2" in pulled.stdout + pulled.stderr
        # the wrapper dies without stopping anything: Label Studio is killed, PostgreSQL left running
        os.killpg(handle.process.pid, signal.SIGKILL)
        handle.process.wait(10)
        handle.stopped = True
    except BaseException:
        handle.stop()
        raise
    again = server.start_server(root, LS_VENV, db="postgres")
    try:
        assert not again.first_start and not again.postgres.created and again.credentials.source == "credentials file"
        client = sdk(again.url, again.token)  # the legacy token of the first start still works
        project = next(p for p in client.projects.list() if p.title == "on postgres")
        assert len(list(client.tasks.list(project=project.id, fields="task_only"))) == len(make_claims())
    finally:
        again.stop()
    status = server._pg(again.postgres.run_as, "pg_ctl", "-D", str(again.postgres.cluster), "status", check=False)
    assert status.returncode == 3, "stopping the wrapper stops its PostgreSQL"
    print(f"Label Studio on PostgreSQL: first start {handle.startup_seconds} s, restart {again.startup_seconds} s")


@needs_postgres
@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another account")
def test_a_data_dir_the_postgres_account_cannot_reach_is_one_line(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(FrameCheckError) as err:
        server.start_postgres(private / "data", private / "data" / "labelstudio")
    assert "cannot write here" in str(err.value) and "chmod o+x" in str(err.value) and "\n" not in str(err.value)


def test_unknown_database_is_refused_before_anything_starts(tmp_path):
    if not (LS_VENV / "bin" / "label-studio").exists():
        pytest.skip(f"{LS_VENV} has no label-studio (make labelstudio-venv)")
    with pytest.raises(FrameCheckError, match="--db: 'mysql' is not one of sqlite, postgres"):
        server.start_server(tmp_path, LS_VENV, db="mysql")
    assert not (tmp_path / "postgres").exists()
