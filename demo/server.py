"""A static web server on 127.0.0.1 for the embedded demo web and for test fixture sites.

It serves one folder for many virtual hosts and also answers as an HTTP proxy, so the
crawler can fetch `http://northern-ledger.example/...` unchanged: the URLs (and so the
article ids) stay the same whatever ephemeral port the server got.

A host whose name is a sub-folder of the root (`<root>/gbk-news.example/`) is served from
that folder, with its own `_routes.yaml`; every other host shares the root itself.

`{{HOST}}` in .xml and .txt files is replaced by the requested host. An optional
`_routes.yaml` in a served folder adds behaviour per path (or per glob, e.g.
`/slow/*.html`): `status`, `redirect`, `delay` (seconds before answering), `headers`,
`content_type`, a generated body of `size_bytes`, `fail_times` (answer `status` that many
times, then serve normally) and `body` (inline text). Every request is logged in
`SiteServer.log` as (monotonic time, host, path), and `SiteServer.peak_in_flight` keeps,
per host, the most requests it had in flight at once (from a request's arrival until its
answer starts, so a client that waits for each answer never counts two). `latency`
holds every answer that long, like a distant server, so concurrent requests overlap.
"""

from __future__ import annotations

import fnmatch
import mimetypes
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

DEMO_SITE = Path(__file__).resolve().parent / "site"


def _load_routes(folder: Path) -> dict:
    routes_file = folder / "_routes.yaml"
    if not routes_file.exists():
        return {}
    return yaml.safe_load(routes_file.read_text(encoding="utf-8")) or {}


class _InFlight:
    """Requests being answered, per host, and the most there ever were at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.peak_total = 0

    def enter(self, host: str) -> None:
        with self.lock:
            self.now[host] = self.now.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.now[host])
            self.peak_total = max(self.peak_total, sum(self.now.values()))

    def leave(self, host: str) -> None:
        with self.lock:
            self.now[host] -= 1


class _Handler(BaseHTTPRequestHandler):
    server_version = "FrameCheckDemo/1.0"
    protocol_version = "HTTP/1.0"
    root: Path
    sites: dict  # folder -> routes
    log: list
    hits: dict
    lock: threading.Lock
    in_flight: _InFlight
    latency: float
    _counted: str | None = None  # the host this request is counted in flight for

    def log_message(self, format, *args):  # keep test output quiet; requests are in self.log
        pass

    def _target(self) -> tuple[str, str]:
        parts = urlsplit(self.path)
        if parts.scheme:  # proxy form: GET http://host/path
            return (parts.hostname or "").lower(), unquote(parts.path or "/")
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        return host, unquote(parts.path or "/")

    def _site(self, host: str) -> tuple[Path, dict]:
        folder = self.root / host if host and "/" not in host and not host.startswith(".") else self.root
        if folder != self.root and folder.is_dir():
            if folder not in self.sites:
                self.sites[folder] = _load_routes(folder)
            return folder, self.sites[folder]
        return self.root, self.sites[self.root]

    @staticmethod
    def _route(routes: dict, path: str) -> dict:
        if path in routes:
            return routes[path] or {}
        for pattern, route in routes.items():
            if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(path, pattern):
                return route or {}
        return {}

    def do_GET(self):
        host, path = self._target()
        self.log.append((time.monotonic(), host, path))
        self._counted = host
        self.in_flight.enter(host)
        try:
            self._answer(host, path)
        finally:
            self._done()

    def _done(self) -> None:
        """The answer starts (or failed): the request is no longer in flight."""
        if self._counted is not None:
            self.in_flight.leave(self._counted)
            self._counted = None

    def _answer(self, host: str, path: str) -> None:
        if self.latency:
            time.sleep(self.latency)
        root, routes = self._site(host)
        route = self._route(routes, path)
        if route.get("delay"):
            time.sleep(float(route["delay"]))
        status = int(route.get("status", 200))
        if "fail_times" in route:
            with self.lock:
                key = (host, path)
                self.hits[key] = self.hits.get(key, 0) + 1
                failing = self.hits[key] <= int(route["fail_times"])
            if not failing:
                status = 200
        if "redirect" in route:
            target = str(route["redirect"]).replace("{{HOST}}", host)
            self._send(int(route.get("status", 301)), b"", "text/plain", {"Location": target})
            return
        if status >= 400:
            self._send(status, f"error {status}".encode(), "text/plain")
            return
        ctype = route.get("content_type")
        if "size_bytes" in route:
            body = b"<html><body>" + b"x" * int(route["size_bytes"]) + b"</body></html>"
            self._send(status, body, ctype or "text/html", route.get("headers"))
            return
        if "body" in route:
            self._send(status, str(route["body"]).encode("utf-8"), ctype or "text/html; charset=utf-8", route.get("headers"))
            return
        file = self._resolve(root, path)
        if file is None:
            self._send(404, b"not found", "text/plain")
            return
        body = file.read_bytes()
        if file.suffix in (".xml", ".txt"):
            body = body.replace(b"{{HOST}}", host.encode())
        ctype = ctype or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._send(status, body, ctype, route.get("headers"))

    def _resolve(self, root: Path, path: str) -> Path | None:
        candidate = (root / path.lstrip("/")).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        # never serve outside the root, whatever the path says
        if root not in candidate.parents or not candidate.is_file() or candidate.name.startswith("_"):
            return None
        return candidate

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None):
        self._done()  # before the first byte: the client cannot send its next request any earlier
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, str(value))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test, an oversize page): nothing to answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):  # a client that hung up is not an error here
        pass


class SiteServer:
    """Serve a folder on 127.0.0.1 at an ephemeral port, in a background thread."""

    def __init__(self, root: Path = DEMO_SITE, port: int = 0, latency: float = 0.0):
        root = Path(root).resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: no such site folder")
        self.root = root
        self.log: list = []
        self._in_flight = _InFlight()
        handler = type("Handler", (_Handler,), {
            "root": root, "sites": {root: _load_routes(root)}, "log": self.log,
            "hits": {}, "lock": threading.Lock(), "in_flight": self._in_flight, "latency": latency,
        })
        self.httpd = _Server(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def peak_in_flight(self) -> dict[str, int]:
        """Per host, the most requests in flight at once."""
        return dict(self._in_flight.peak)

    @property
    def peak_in_flight_total(self) -> int:
        """The most requests in flight at once, all hosts together."""
        return self._in_flight.peak_total

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "SiteServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:  # `python -m demo.server [FOLDER]` for a look in a browser
    import sys

    root = Path(sys.argv[1]) if len(sys.argv) > 1 else DEMO_SITE
    with SiteServer(root) as server:
        print(f"{root} on {server.proxy_url} (use it as an HTTP proxy); Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
