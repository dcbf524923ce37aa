"""A static web server on 127.0.0.1 for the embedded demo web and for test fixture sites.

It serves one folder for many virtual hosts and also answers as an HTTP proxy, so the
crawler can fetch `http://northern-ledger.example/...` unchanged: the URLs (and so the
article ids) stay the same whatever ephemeral port the server got.

`{{HOST}}` in .xml and .txt files is replaced by the requested host. An optional
`_routes.yaml` in the root adds behaviour per path: status, redirect, delay, headers,
content_type, or a generated body of `size_bytes`.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

DEMO_SITE = Path(__file__).resolve().parent / "demo_site"


class _Handler(BaseHTTPRequestHandler):
    server_version = "FrameCheckDemo/1.0"
    root: Path
    routes: dict
    log: list

    def log_message(self, format, *args):  # keep test output quiet; requests are in self.log
        pass

    def _target(self) -> tuple[str, str]:
        parts = urlsplit(self.path)
        if parts.scheme:  # proxy form: GET http://host/path
            return (parts.hostname or "").lower(), unquote(parts.path or "/")
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        return host, unquote(parts.path or "/")

    def do_GET(self):
        host, path = self._target()
        self.log.append((time.monotonic(), host, path))
        route = self.routes.get(path, {})
        if route.get("delay"):
            time.sleep(float(route["delay"]))
        if "redirect" in route:
            self._send(int(route.get("status", 301)), b"", "text/plain", {"Location": route["redirect"]})
            return
        if "status" in route and int(route["status"]) >= 400:
            self._send(int(route["status"]), f"error {route['status']}".encode(), "text/plain")
            return
        if "size_bytes" in route:
            body = b"<html><body>" + b"x" * int(route["size_bytes"]) + b"</body></html>"
            self._send(200, body, route.get("content_type", "text/html"), route.get("headers"))
            return
        file = self._resolve(path)
        if file is None:
            self._send(404, b"not found", "text/plain")
            return
        body = file.read_bytes()
        if file.suffix in (".xml", ".txt"):
            body = body.replace(b"{{HOST}}", host.encode())
        ctype = route.get("content_type") or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._send(200, body, ctype, route.get("headers"))

    def _resolve(self, path: str) -> Path | None:
        candidate = (self.root / path.lstrip("/")).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        # never serve outside the root, whatever the path says
        if self.root not in candidate.parents or not candidate.is_file() or candidate.name.startswith("_"):
            return None
        return candidate

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


class SiteServer:
    """Serve a folder on 127.0.0.1 at an ephemeral port, in a background thread."""

    def __init__(self, root: Path = DEMO_SITE, port: int = 0):
        root = root.resolve()
        routes_file = root / "_routes.yaml"
        routes = yaml.safe_load(routes_file.read_text()) if routes_file.exists() else {}
        self.log: list = []
        handler = type("Handler", (_Handler,), {"root": root, "routes": routes or {}, "log": self.log})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "SiteServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:  # `python -m crawlers.demo_server` for a look in a browser
    with SiteServer() as server:
        print(f"demo web on {server.proxy_url} (use it as an HTTP proxy); Ctrl-C to stop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
