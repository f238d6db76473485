"""``watcher demo``: the whole flow, offline, against pages served on loopback.

It serves two sample policies from a local HTTP server, checks them, then
walks them through what happens in real life: page chrome that changes on
every visit (no alert), an outage and a bot-challenge page (rejected, no
version), and a real revision (a new version, a section-aware diff and an
HTML report).
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..batch import check
from ..config import Source, load
from ..errors import InputError
from ..fetch import make_client
from ..pipeline import Outcome, Pipeline
from ..publish import diff_versions, write_atomic, write_change_report
from ..store import Store
from . import pages

MARKER = ".watcher-demo"
CHALLENGE = (
    "<html><head><title>Just a moment...</title></head><body><h1>Checking your "
    "browser before accessing the site.</h1><p>Please enable JavaScript and cookies "
    "to continue.</p></body></html>"
)


@dataclass
class _Site:
    """What the demo server answers; the demo changes it between checks."""

    northwind: str = pages.NORTHWIND_V1
    harbor: str = pages.HARBOR_V1
    visits: int = 0
    northwind_status: int = 200
    harbor_challenge: bool = False

    def page(self, path: str) -> tuple[int, str, str]:
        self.visits += 1
        if path == "/northwind/privacy":
            html = pages.CHROME.format(
                policy=self.northwind,
                build=f"{self.visits:08x}",
                token=f"t{self.visits * 7919}",
                posts=self.visits,
                headline=f"Release notes {self.visits}",
                stamp=f"visit {self.visits}",
            )
            return self.northwind_status, "text/html; charset=utf-8", html
        if path == "/harbor/terms.txt":
            if self.harbor_challenge:
                return 200, "text/html; charset=utf-8", CHALLENGE
            return 200, "text/plain; charset=utf-8", self.harbor
        return 404, "text/plain", "not found"


def _serve(site: _Site) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            status, ctype, text = site.page(self.path)
            body = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


def _sources_yaml(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    return f"""# written by 'watcher demo'
settings:
  fetch:
    retries: 1
    backoff: 0.1s
    timeout: 5s
    confirm_after: 1s   # fetch a changed page again before recording (default: a minute)
sources:
  - id: northwind-privacy
    name: Northwind Cloud Privacy Policy
    url: {base}/northwind/privacy
    tags: [demo]
  - id: harbor-terms
    name: Harbor Telecom Terms of Service
    url: {base}/harbor/terms.txt
    tags: [demo]
"""


def _prepare(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise InputError(
                f"{directory}: exists and is not a watcher demo directory; "
                "choose another with --dir"
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by watcher demo; safe to delete\n")


def run_demo(directory: Path, echo: Callable[[str], None] = print) -> list[Path]:
    """Run the demo in ``directory``; returns the reports it wrote."""
    _prepare(directory)
    site = _Site()
    server = _serve(site)
    try:
        return _walk(directory, site, server.server_address[1], echo)
    finally:
        server.shutdown()
        server.server_close()


def _walk(directory: Path, site: _Site, port: int, echo: Callable[[str], None]) -> list[Path]:
    config_path = directory / "sources.yaml"
    write_atomic(config_path, _sources_yaml(port))
    config = load(config_path)
    store = Store.open(directory / "snapshots")
    reports_dir = directory / "reports"
    written: list[Path] = []
    pipeline = Pipeline(store, config.settings)
    pipeline.after_change.append(
        lambda record: written.append(
            write_change_report(store, record.change_id, reports_dir, config, record.changes)
        )
    )

    def step(title: str) -> None:
        echo(f"\n== {title}")
        for outcome in _check(pipeline, config.sources):
            detail = outcome.headline or outcome.reason or ""
            echo(f"   {outcome.source_id:<18} {outcome.status:<9} {detail}")

    try:
        echo(f"Serving two sample policies on http://127.0.0.1:{port}/ ; data in {directory}/")
        step("1. First check: every page is new")
        step("2. Nothing changed but the page chrome (build hash, CSRF token, blog links)")
        site.northwind_status, site.harbor_challenge = 503, True
        step("3. An outage (HTTP 503) and a bot-challenge page served with 200")
        site.northwind_status, site.harbor_challenge = 200, False
        site.northwind, site.harbor = pages.NORTHWIND_V2, pages.HARBOR_V2
        step("4. The policies are revised")
        echo("\n== 5. What changed in the Northwind policy, section by section")
        versions = store.versions("northwind-privacy", 2)
        old = store.version("northwind-privacy", versions[1]["id"])
        new = store.version("northwind-privacy", versions[0]["id"])
        echo(diff_versions(store, "northwind-privacy", old, new, "text", config.settings.keywords))
    finally:
        store.close()
    for path in written:
        echo(f"report: {path}")
    echo(
        f"\nTry: watcher --config {config_path} --data-dir {directory / 'snapshots'} "
        "history northwind-privacy"
    )
    return written


def _check(pipeline: Pipeline, sources: Sequence[Source]) -> list[Outcome]:
    async def go() -> list[Outcome]:
        async with make_client(pipeline.settings.fetch) as client:
            return [o async for o in check(pipeline, sources, client)]

    return sorted(asyncio.run(go()), key=lambda o: o.source_id)
