"""Start a real Label Studio server, from its own virtual environment, for local annotation
and the integration tests.

    python -m annotation.server --data-dir DATA --ls-venv .venv-labelstudio [--port P]

The server listens on 127.0.0.1 only and keeps its data under DATA/labelstudio. Its admin
user and API token come from LABEL_STUDIO_USERNAME / LABEL_STUDIO_PASSWORD /
LABEL_STUDIO_API_KEY. Label Studio reads them on its FIRST start only (when it creates the
user and the organization); later starts keep what the first one set. For a local start
without them, a random password and token are generated once and kept in
DATA/labelstudio/credentials.env (mode 0600), which later starts read back.

Label Studio falls back on unprefixed variables (USERNAME, PASSWORD, HOST, PORT,
DATABASE_NAME, DJANGO_DB, POSTGRE_*, ...; any name it reads may be given without the
LABEL_STUDIO_ prefix), so the server gets a minimal, whitelisted environment. It runs with
stdin from /dev/null (it prompts otherwise) in its own session, so a Ctrl-C in the terminal
reaches this wrapper only, and the wrapper stops the whole session."""

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


def resolve_credentials(ls_dir: Path, username: str | None, password: str | None, token: str | None) -> Credentials:
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
    if (ls_dir / DB_FILE).exists():
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


# --- start -----------------------------------------------------------------------------


def start_server(
    data_dir: Path | str,
    ls_venv: Path | str,
    port: int | None = None,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
    timeout: float = 240.0,
) -> ServerHandle:
    """Start Label Studio and return once /health answers UP and the token is accepted."""
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
    first_start = not (ls_dir / DB_FILE).exists()
    creds = resolve_credentials(ls_dir, username, password, token)
    url = f"http://{HOST}:{port}"
    log_path = ls_dir / LOG_FILE
    cmd = [str(executable), "start", "--no-browser", "--internal-host", HOST, "--port", str(port),
           "--data-dir", str(ls_dir), "--enable-legacy-api-token", "--log-level", "WARNING"]
    started = time.monotonic()
    with log_path.open("a", encoding="utf-8") as log, open(os.devnull, "rb") as devnull:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} annotation.server: starting on {url}\n")
        log.flush()
        process = subprocess.Popen(cmd, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, cwd=ls_dir,
                                   env=server_env(ls_dir, creds, port), start_new_session=True)
    handle = ServerHandle(url, creds.token, creds.username, process, ls_dir, log_path, first_start, 0.0, creds)
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
        handle = start_server(args.data_dir, args.ls_venv, args.port, timeout=args.timeout)
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
