"""Start a real Label Studio server, from its own virtual environment, for local annotation
and the integration tests.

    python -m annotation.server --data-dir DATA --ls-venv .venv-labelstudio [--port P] [--db postgres]

The server listens on 127.0.0.1 only and keeps its data under DATA/labelstudio: in SQLite by
default, or (--db postgres, for a team) in a PostgreSQL cluster of its own under DATA/postgres,
run from Debian's server binaries (/usr/lib/postgresql/15/bin, or FRAMECHECK_PG_BIN) on a free
loopback port with its socket directory inside the cluster's folder. The first start runs
initdb (scram-sha-256 password auth, a generated password kept in DATA/labelstudio/postgres.env,
mode 0600) and creates the database; PostgreSQL refuses to run as root, so when the wrapper is
root the cluster belongs to, and runs as, the `postgres` system account Debian's package
creates (or FRAMECHECK_PG_USER), and DATA must be searchable by it. Its admin
user and API token come from LABEL_STUDIO_USERNAME / LABEL_STUDIO_PASSWORD /
LABEL_STUDIO_API_KEY. Label Studio reads them on its FIRST start only (when it creates the
user and the organization); later starts keep what the first one set. For a local start
without them, a random password and token are generated once and kept in
DATA/labelstudio/credentials.env (mode 0600), which later starts read back.

Label Studio falls back on unprefixed variables (USERNAME, PASSWORD, HOST, PORT,
DATABASE_NAME, DJANGO_DB, POSTGRE_*, ...; any name it reads may be given without the
LABEL_STUDIO_ prefix), so the server gets a minimal, whitelisted environment. It runs with
stdin from /dev/null (it prompts otherwise) in its own session, so a Ctrl-C in the terminal
reaches this wrapper only, and the wrapper stops the whole session (and its PostgreSQL).

Legacy-token trap: Label Studio enables legacy API tokens only when it first creates the
organization; a database first set up without `--enable-legacy-api-token` answers 401 to the
token for ever. The wrapper passes it on every start, so the start that creates a database
(SQLite file or PostgreSQL cluster) enables them; a PostgreSQL database it did not create
itself is refused."""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.kernel.io import FrameCheckError

HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_USERNAME = "admin@framecheck.local"
CREDENTIALS_FILE = "credentials.env"
LOG_FILE = "server.log"
DB_FILE = "label_studio.sqlite3"
DATABASES = ("sqlite", "postgres")
PG_BIN = Path(os.environ.get("FRAMECHECK_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_DIR, PG_CLUSTER, PG_SOCKETS, PG_LOG = "postgres", "cluster", "sockets", "postgres.log"
PG_ENV_FILE = "postgres.env"
PG_ROLE = PG_DB = "labelstudio"
PG_MARK = "framecheck-created"  # in the cluster folder: this wrapper made the database (legacy tokens on)
ENV_USERNAME, ENV_PASSWORD, ENV_TOKEN = "LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_API_KEY"
# Passed through from the caller's environment; everything else is dropped.
_ENV_WHITELIST = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR")


@dataclass
class Credentials:
    username: str
    password: str
    token: str
    source: str  # "arguments", "environment", "credentials file" or "generated"


@dataclass
class ServerHandle:
    """A running Label Studio; stop() ends its whole session."""

    url: str
    token: str
    username: str
    process: subprocess.Popen
    data_dir: Path
    log_path: Path
    first_start: bool
    startup_seconds: float
    credentials: Credentials
    postgres: "Postgres | None" = None
    stopped: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def rss_mb(self) -> float:
        """Resident memory of every process in the server's session, in MB (from ps)."""
        try:
            out = subprocess.run(["ps", "-o", "rss=", "-s", str(self.process.pid)], capture_output=True, text=True,
                                 timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return float("nan")
        return round(sum(int(x) for x in out.split() if x.isdigit()) / 1024, 1)

    def stop(self, timeout: float = 20.0) -> float:
        """SIGTERM the session, SIGKILL it if it lingers; returns the seconds it took."""
        start = time.monotonic()
        if self.stopped:
            return 0.0
        self.stopped = True
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(10)
        if self.postgres is not None:
            self.postgres.stop()
        return round(time.monotonic() - start, 2)

    def __enter__(self) -> "ServerHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- helpers ---------------------------------------------------------------------------


def port_is_free(port: int, host: str = HOST) -> bool:
    """True if nothing listens on host:port and we could bind it (Label Studio checks with a
    connect and silently moves to the next port otherwise)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        if probe.connect_ex((host, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Django binds: TIME_WAIT is no obstacle
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def read_credentials_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        parts = shlex.split(value)
        values[key.strip()] = parts[0] if parts else ""
    return values


def write_credentials_file(path: Path, creds: Credentials) -> None:
    """Mode 0600 from the moment the file exists; never overwrites."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# Label Studio admin of this data directory (generated by annotation.server; keep it private).\n"
        "# Label Studio fixed them at its first start; changing them here changes nothing.\n"
        f"export {ENV_USERNAME}={shlex.quote(creds.username)}\n"
        f"export {ENV_PASSWORD}={shlex.quote(creds.password)}\n"
        f"export {ENV_TOKEN}={shlex.quote(creds.token)}\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def resolve_credentials(ls_dir: Path, username: str | None, password: str | None, token: str | None,
                        database_exists: bool | None = None) -> Credentials:
    """Arguments, then the environment, then DATA/labelstudio/credentials.env, then (first
    start only) freshly generated random values, written to credentials.env."""
    given = {"username": username, "password": password, "token": token}
    if all(given.values()):
        return Credentials(username, password, token, "arguments")
    env = {"username": os.environ.get(ENV_USERNAME), "password": os.environ.get(ENV_PASSWORD), "token": os.environ.get(ENV_TOKEN)}
    merged = {k: given[k] or env[k] for k in given}
    if all(merged.values()):
        return Credentials(merged["username"], merged["password"], merged["token"],
                           "arguments" if not any(env.values()) else "environment")
    cred_file = ls_dir / CREDENTIALS_FILE
    if cred_file.exists():
        stored = read_credentials_file(cred_file)
        kept = {"username": stored.get(ENV_USERNAME), "password": stored.get(ENV_PASSWORD), "token": stored.get(ENV_TOKEN)}
        values = {k: merged[k] or kept[k] for k in merged}
        if all(values.values()):
            return Credentials(values["username"], values["password"], values["token"], "credentials file")
        raise FrameCheckError(f"{cred_file}: incomplete ({', '.join(k for k, v in values.items() if not v)} missing)")
    if database_exists if database_exists is not None else (ls_dir / DB_FILE).exists():
        missing = [name for key, name in (("username", ENV_USERNAME), ("password", ENV_PASSWORD), ("token", ENV_TOKEN)) if not merged[key]]
        raise FrameCheckError(
            f"{ls_dir}: Label Studio was set up earlier with other credentials and {cred_file.name} is absent; "
            f"set {', '.join(missing)} to the values of its first start"
        )
    creds = Credentials(
        merged["username"] or DEFAULT_USERNAME,
        merged["password"] or secrets.token_urlsafe(18),
        merged["token"] or secrets.token_hex(20),  # 40 characters, the size of a Label Studio token
        "generated",
    )
    write_credentials_file(cred_file, creds)
    return creds


def server_env(ls_dir: Path, creds: Credentials, port: int) -> dict[str, str]:
    env = {k: os.environ[k] for k in _ENV_WHITELIST if k in os.environ}
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(ls_dir),
            "LABEL_STUDIO_USERNAME": creds.username,
            "LABEL_STUDIO_PASSWORD": creds.password,
            "LABEL_STUDIO_USER_TOKEN": creds.token,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
            "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _check_token(url: str, token: str) -> bool:
    import httpx

    try:
        r = httpx.get(f"{url}/api/current-user/whoami", headers={"Authorization": f"Token {token}"}, timeout=10)
    except httpx.HTTPError:
        return False
    return r.status_code == 200


# --- PostgreSQL ------------------------------------------------------------------------


@dataclass
class Postgres:
    """A PostgreSQL cluster under DATA/postgres, started by this wrapper for Label Studio."""

    root: Path
    port: int
    password: str
    run_as: str | None  # the system account it runs as when the wrapper is root
    created: bool  # initdb ran on this start
    stopped: bool = field(default=False)

    @property
    def cluster(self) -> Path:
        return self.root / PG_CLUSTER

    def env(self) -> dict[str, str]:
        """What Label Studio reads to use it (DJANGO_DB=default is its PostgreSQL entry)."""
        return {"DJANGO_DB": "default", "POSTGRE_NAME": PG_DB, "POSTGRE_USER": PG_ROLE, "POSTGRE_PASSWORD": self.password,
                "POSTGRE_HOST": HOST, "POSTGRE_PORT": str(self.port)}

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            _pg(self.run_as, "pg_ctl", "-D", str(self.cluster), "-m", "fast", "-w", "-t", "30", "stop", check=False)


def _pg(run_as: str | None, tool: str, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a PostgreSQL server tool (as run_as when given); a failure is one FrameCheckError line."""
    executable = PG_BIN / tool
    if not executable.exists():
        raise FrameCheckError(f"{executable} not found: install Debian's postgresql-15 (apt-get install postgresql-15) "
                              "or set FRAMECHECK_PG_BIN to the folder of initdb and pg_ctl")
    try:
        done = subprocess.run([str(executable), *args], capture_output=True, text=True, timeout=120, cwd="/",
                              user=run_as, group=_group_of(run_as), stdin=subprocess.DEVNULL,
                              env={**{k: os.environ[k] for k in ("PATH", "LANG", "TZ") if k in os.environ}, **(env or {})},
                              start_new_session=True)  # the postmaster outlives a Ctrl-C to the wrapper until stopped
    except (OSError, subprocess.SubprocessError) as exc:
        raise FrameCheckError(f"PostgreSQL: {tool} could not run ({type(exc).__name__}: {exc})") from None
    if check and done.returncode != 0:
        detail = " ".join((done.stderr or done.stdout).split())[-300:]
        raise FrameCheckError(f"PostgreSQL: {tool} failed with code {done.returncode} ({detail})")
    return done


def _group_of(user: str | None) -> int | None:
    import pwd

    return pwd.getpwnam(user).pw_gid if user else None


def pg_account() -> str | None:
    """The account PostgreSQL runs as: this process's own, or (as root, which initdb and
    postgres refuse) a system account: FRAMECHECK_PG_USER, by default Debian's `postgres`."""
    if os.geteuid() != 0:
        return None
    import pwd

    name = os.environ.get("FRAMECHECK_PG_USER", "postgres")
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise FrameCheckError(f"running as root, PostgreSQL needs a system account to run as, and {name!r} does not exist: "
                              "create one (useradd --system --no-create-home framecheck-pg) and set FRAMECHECK_PG_USER") from None
    return name


def _owned_folder(path: Path, run_as: str | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if run_as:
        import pwd

        account = pwd.getpwnam(run_as)
        os.chown(path, account.pw_uid, account.pw_gid)
    os.chmod(path, 0o700)


def _pg_password(ls_dir: Path) -> str:
    """The database password of this data dir (generated once into postgres.env, mode 0600)."""
    path = ls_dir / PG_ENV_FILE
    if path.exists():
        value = read_credentials_file(path).get("POSTGRE_PASSWORD")
        if not value:
            raise FrameCheckError(f"{path}: no POSTGRE_PASSWORD in it")
        return value
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# PostgreSQL password of this data directory's Label Studio database (generated by annotation.server).\n"
                 f"POSTGRE_PASSWORD={shlex.quote(password)}\n")
    return password


def start_postgres(data_dir: Path, ls_dir: Path) -> Postgres:
    """Initialise (first start) and start the cluster under DATA/postgres on a free loopback
    port; create the database on first start. Returns once it accepts connections."""
    run_as = pg_account()
    root = data_dir / PG_DIR
    _owned_folder(root, run_as)
    if run_as and subprocess.run(["test", "-w", str(root)], user=run_as, cwd="/").returncode != 0:
        raise FrameCheckError(f"{root}: the {run_as or 'current'} account cannot write here; every folder above it "
                              "must be searchable by that account (chmod o+x), or pick another --data-dir")
    cluster = root / PG_CLUSTER
    created = not (cluster / "PG_VERSION").exists()
    if created and cluster.exists() and any(cluster.iterdir()):
        raise FrameCheckError(f"{cluster}: a half-made cluster (no PG_VERSION); remove it to start over")
    password = _pg_password(ls_dir)  # kept from a start killed before initdb finished, too: nothing used it yet
    if created:
        pwfile = root / ".initdb-password"
        pwfile.unlink(missing_ok=True)  # left by a start killed during initdb
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password + "\n")
        try:
            if run_as:
                import pwd

                os.chown(pwfile, pwd.getpwnam(run_as).pw_uid, -1)
            _pg(run_as, "initdb", "-D", str(cluster), "-U", PG_ROLE, "--auth=scram-sha-256", f"--pwfile={pwfile}",
                "-E", "UTF8", "--locale=C.UTF-8")
        finally:
            pwfile.unlink(missing_ok=True)
    elif not (cluster / PG_MARK).exists():
        raise FrameCheckError(f"{cluster}: no {PG_MARK} marker: a cluster this wrapper did not finish setting up (a start "
                              "killed during initdb, or another tool's cluster, whose Label Studio database may lack legacy "
                              f"API tokens: 401 for ever); remove {root} to start over, or use another --data-dir")
    sockets = root / PG_SOCKETS
    _owned_folder(sockets, run_as)
    if _pg(run_as, "pg_ctl", "-D", str(cluster), "status", check=False).returncode == 0:
        # a postmaster a killed wrapper left behind: ours (this data dir); restart it on a new port
        _pg(run_as, "pg_ctl", "-D", str(cluster), "-m", "fast", "-w", "stop", check=False)
    port = free_port()
    options = f"-c listen_addresses={HOST} -c port={port} -c unix_socket_directories={sockets}"
    _pg(run_as, "pg_ctl", "-D", str(cluster), "-l", str(root / PG_LOG), "-w", "-t", "60", "-o", options, "start")
    server = Postgres(root, port, password, run_as, created)
    try:
        if created:
            _pg(run_as, "createdb", "-h", HOST, "-p", str(port), "-U", PG_ROLE, PG_DB, env={"PGPASSWORD": password})
            (cluster / PG_MARK).touch()  # written once the database exists: a later start knows it set it up
            if run_as:
                import pwd

                os.chown(cluster / PG_MARK, pwd.getpwnam(run_as).pw_uid, -1)
    except BaseException:
        server.stop()
        raise
    return server


# --- start -----------------------------------------------------------------------------


def start_server(
    data_dir: Path | str,
    ls_venv: Path | str,
    port: int | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
    timeout: float = 240.0,
    db: str = "sqlite",
) -> ServerHandle:
    """Start Label Studio (on SQLite, or on a PostgreSQL cluster of its own with db="postgres")
    and return once /health answers UP and the token is accepted."""
    import httpx

    data_dir = Path(data_dir).resolve()
    ls_venv = Path(ls_venv).resolve()
    executable = ls_venv / "bin" / "label-studio"
    if not executable.exists():
        raise FrameCheckError(f"{executable} not found: create the server's venv with `make labelstudio-venv`")
    port = port or free_port()
    if not port_is_free(port):
        raise FrameCheckError(f"port {port} on {HOST} is in use (Label Studio would silently move to another); pick another with --port")
    ls_dir = data_dir / "labelstudio"
    ls_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(ls_dir, 0o700)
    if db not in DATABASES:
        raise FrameCheckError(f"--db: {db!r} is not one of {', '.join(DATABASES)}")
    if db == "postgres":
        cluster_exists = (data_dir / PG_DIR / PG_CLUSTER / "PG_VERSION").exists()
        creds = resolve_credentials(ls_dir, username, password, token, database_exists=cluster_exists)
        postgres = start_postgres(data_dir, ls_dir)
        first_start = postgres.created
    else:
        first_start = not (ls_dir / DB_FILE).exists()
        creds = resolve_credentials(ls_dir, username, password, token)
        postgres = None
    url = f"http://{HOST}:{port}"
    log_path = ls_dir / LOG_FILE
    cmd = [str(executable), "start", "--no-browser", "--internal-host", HOST, "--port", str(port),
           "--data-dir", str(ls_dir), "--enable-legacy-api-token", "--log-level", "WARNING"]
    started = time.monotonic()
    with log_path.open("a", encoding="utf-8") as log, open(os.devnull, "rb") as devnull:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} annotation.server: starting on {url}\n")
        log.flush()
        try:
            process = subprocess.Popen(cmd, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, cwd=ls_dir,
                                       env={**server_env(ls_dir, creds, port), **(postgres.env() if postgres else {})},
                                       start_new_session=True)
        except BaseException:
            if postgres is not None:
                postgres.stop()
            raise
    handle = ServerHandle(url, creds.token, creds.username, process, ls_dir, log_path, first_start, 0.0, creds, postgres)
    try:
        deadline = started + timeout
        while True:
            if process.poll() is not None:
                raise FrameCheckError(f"Label Studio exited with code {process.returncode} while starting; "
                                      f"see {log_path}:\n{_tail(log_path)}")
            try:
                r = httpx.get(f"{url}/health", timeout=3)
                if r.status_code == 200 and r.json().get("status") == "UP":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise FrameCheckError(f"Label Studio did not answer {url}/health within {timeout:.0f} s; see {log_path}")
            time.sleep(0.5)
        handle.startup_seconds = round(time.monotonic() - started, 1)
        if not _check_token(url, creds.token):
            raise FrameCheckError(
                f"Label Studio at {url} rejects the API token (from the {creds.source.replace('generated', 'generator')}); "
                f"it keeps the credentials of its first start in {ls_dir} — use those, or a new --data-dir"
            )
    except BaseException:
        handle.stop()
        raise
    return handle


# --- command line ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m annotation.server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="FrameCheck data directory (server data goes to DATA/labelstudio)")
    parser.add_argument("--ls-venv", type=Path, default=Path(".venv-labelstudio"), help="virtual environment with label-studio installed")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on {HOST} (default {DEFAULT_PORT})")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds to wait for the server to come up")
    parser.add_argument("--db", choices=DATABASES, default="sqlite",
                        help="sqlite (default) or postgres: a PostgreSQL cluster of its own under DATA/postgres, for a team")
    args = parser.parse_args(argv)

    stop_requested = []

    def _on_signal(signum, _frame):
        stop_requested.append(signum)
        raise KeyboardInterrupt

    # SIGINT too: a shell starts background jobs with SIGINT ignored, and Ctrl-C must still stop it
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    print(f"starting Label Studio from {args.ls_venv} on {HOST}:{args.port}, data in {args.data_dir / 'labelstudio'} ...", flush=True)
    try:
        handle = start_server(args.data_dir, args.ls_venv, args.port, timeout=args.timeout, db=args.db)
    except FrameCheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted while starting; server stopped", file=sys.stderr)
        return 130
    creds = handle.credentials
    kind = "first start (database set up)" if handle.first_start else "restart"
    print(f"Label Studio is up at {handle.url} — {kind} in {handle.startup_seconds} s, RSS {handle.rss_mb()} MB, pid {handle.pid}")
    print(f"  log: {handle.log_path}")
    if handle.postgres is not None:
        pg = handle.postgres
        print(f"  database: PostgreSQL on {HOST}:{pg.port} (cluster {pg.cluster}{', run as ' + pg.run_as if pg.run_as else ''}"
              f"{', created now' if pg.created else ''})")
    origin = {"generated": "generated now", "credentials file": "from its credentials file",
              "environment": "from the environment", "arguments": "given"}[creds.source]
    print(f"  admin: {creds.username} (credentials {origin})")
    if creds.source in ("generated", "credentials file"):
        cred_file = handle.data_dir / CREDENTIALS_FILE
        print(f"  password and API token: {cred_file} (mode 0600); to use them:")
        print(f"  . {shlex.quote(str(cred_file))} && export LABEL_STUDIO_URL={handle.url}")
    else:
        print(f'  export LABEL_STUDIO_URL={handle.url} {ENV_TOKEN}="${ENV_TOKEN}"')
    print("Ctrl-C stops the server.", flush=True)
    try:
        while True:
            code = handle.process.poll()
            if code is not None:
                print(f"error: Label Studio exited on its own with code {code}; see {handle.log_path}", file=sys.stderr)
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        took = handle.stop()
        print(f"\nLabel Studio stopped in {took} s (data kept in {handle.data_dir})", flush=True)
        return 0
    finally:
        handle.stop()


if __name__ == "__main__":
    sys.exit(main())
