"""A loopback HTTP server for the benchmarks, run as its own process.

    python bench/_server.py PAGES_DIR PORT_FILE

Serves ``PAGES_DIR/<i>.html`` at ``/p/<i>``. ``GET /_mode/validators`` makes it
send ETag and Last-Modified and answer conditional requests with 304;
``GET /_mode/plain`` makes it send neither and always answer 200.
"""

from __future__ import annotations

import email.utils
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MODE = {"validators": True}


class Listener(ThreadingHTTPServer):
    """Set before the socket listens: a backlog of 5 (the default) would leave
    connections waiting for SYN retries when both tools open 8 at once."""

    daemon_threads = True
    request_queue_size = 256


def main() -> None:
    pages, port_file = Path(sys.argv[1]), Path(sys.argv[2])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/_mode/"):
                MODE["validators"] = self.path.endswith("/validators")
                self._answer(200, b"ok", {})
                return
            path = pages / f"{self.path.rsplit('/', 1)[-1]}.html"
            try:
                stat = path.stat()
            except OSError:
                self._answer(404, b"not found", {})
                return
            headers: dict[str, str] = {}
            if MODE["validators"]:
                etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
                headers = {
                    "ETag": etag,
                    "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
                }
                if self.headers.get("If-None-Match") == etag:
                    self._answer(304, b"", headers)
                    return
            self._answer(200, path.read_bytes(), headers)

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    server = Listener(("127.0.0.1", 0), Handler)
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
