"""Benchmark: `watcher check` against urlwatch on the same pages, on loopback.

    python bench/throughput.py [CORPUS.tar.xz | UNPACKED_DIR] [--sizes 100,1000] [--no-urlwatch]

Builds N distinct policy pages from the corpus captures (each gets a unique
reference paragraph, so no two are identical), serves them from a loopback
HTTP server in its own process, and for N = 100 and 1000 measures four passes
of each tool on the same pages:

1. full: every page new (urlwatch with ``ignore_cached: true``);
2. unchanged, the server sending ETag/Last-Modified (answers 304);
3. unchanged, the server sending no validators (full bodies, same bytes);
4. 5 % of the pages changed (validators on).

For each: pages per second, CPU milliseconds per page (all processes),
peak memory (largest process RSS and the process tree's PSS) and, for
watcher, the store's size; then the ratio watcher / urlwatch. urlwatch is
installed into a throwaway virtual environment. Run by hand; never in CI.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DEFAULT_CORPUS,
    Run,
    corpus_captures,
    dir_size,
    machine,
    measure,
    use_bytecode_cache,
    watcher,
)

HERE = Path(__file__).resolve().parent
PASSES = ("full", "304", "same bytes", "5% changed")
_H1 = re.compile(rb"</h1\s*>", re.I)
_BODY = re.compile(rb"<body[^>]*>", re.I)


def marker(i: int, revised: bool = False) -> bytes:
    if revised:
        return (
            f"<p>Reference W-{i:05d}: this clause was revised; we may now share your data "
            f"with our advertising partners.</p>"
        ).encode()
    return (
        f"<p>Reference W-{i:05d}: this copy of the policy is served for a benchmark.</p>".encode()
    )


def build_page(capture: bytes, i: int, revised: bool = False) -> bytes:
    """A corpus capture with a reference paragraph of its own inside the policy."""
    spot = _H1.search(capture) or _BODY.search(capture)
    at = spot.end() if spot else 0
    return capture[:at] + marker(i, revised) + capture[at:]


@dataclass
class Pass:
    name: str
    run: Run
    pages: int
    outcomes: dict[str, int]
    store_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.pages / self.run.wall

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.run.cpu / self.pages


class Server:
    """The page server, in its own process."""

    def __init__(self, pages: Path) -> None:
        port_file = pages.parent / "port"
        port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "_server.py"), str(pages), str(port_file)]
        )
        for _ in range(200):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{port_file.read_text()}"

    def mode(self, validators: bool) -> None:
        name = "validators" if validators else "plain"
        urllib.request.urlopen(f"{self.base}/_mode/{name}").read()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def make_pages(captures: list[Path], n: int, folder: Path) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"{i}.html").write_bytes(build_page(captures[i % len(captures)].read_bytes(), i))


def change_pages(captures: list[Path], n: int, folder: Path) -> int:
    """Revise every 20th page (5 %); returns how many."""
    changed = 0
    for i in range(0, n, 20):
        page = build_page(captures[i % len(captures)].read_bytes(), i, revised=True)
        (folder / f"{i}.html").write_bytes(page)
        changed += 1
    return changed


# ---------------------------------------------------------------- watcher


def write_sources(path: Path, base: str, n: int) -> Path:
    """A ``sources.yaml`` tracking the ``n`` served pages, 8 requests in flight; a
    changed page is fetched again at once to confirm it (the default waits a minute,
    which would only measure the wait)."""
    fetch = "{concurrency: 8, per_host: 8, retries: 1, confirm_after: 0s}"
    lines = ["settings:", f"  fetch: {fetch}", "sources:"]
    lines += [f"  - {{id: p{i}, url: '{base}/p/{i}'}}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def watcher_passes(
    server: Server, n: int, work: Path, pages: Path, captures: list[Path]
) -> list[Pass]:
    config = write_sources(work / "sources.yaml", server.base, n)
    data = work / "snapshots"
    results = []
    for name in PASSES:
        server.mode(validators=name != "same bytes")
        if name == "5% changed":
            change_pages(captures, n, pages)
        run = measure(
            watcher(
                "--config",
                str(config),
                "--data-dir",
                str(data),
                "--reports-dir",
                str(work / "reports"),
                "check",
                "--json",
            )
        )
        outcomes: dict[str, int] = {}
        for line in run.out.splitlines():
            status = json.loads(line)["status"]
            outcomes[status] = outcomes.get(status, 0) + 1
        results.append(Pass(name, run, n, outcomes, dir_size(data) / 1e6))
    return results


# ---------------------------------------------------------------- urlwatch


def urlwatch_env(work: Path) -> Path:
    venv = work / "urlwatch-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "urlwatch"], check=True)
    return venv / "bin" / "urlwatch"


def urlwatch_jobs(server: Server, n: int, path: Path, ignore_cached: bool) -> None:
    jobs = []
    for i in range(n):
        job = f"name: p{i}\nurl: {server.base}/p/{i}\nfilter:\n  - css: main\n  - html2text\n"
        if ignore_cached:
            job += "ignore_cached: true\n"
        jobs.append(job)
    path.write_text("---\n".join(jobs))


def urlwatch_passes(
    server: Server, n: int, work: Path, pages: Path, captures: list[Path], urlwatch: Path
) -> list[Pass]:
    full, normal = work / "jobs-full.yaml", work / "jobs.yaml"
    urlwatch_jobs(server, n, full, ignore_cached=True)
    urlwatch_jobs(server, n, normal, ignore_cached=False)
    results = []
    for name in PASSES:
        server.mode(validators=name != "same bytes")
        if name == "5% changed":
            change_pages(captures, n, pages)
        jobs = full if name == "full" else normal
        run = measure(
            [
                str(urlwatch),
                "--urls",
                str(jobs),
                "--config",
                str(work / "uw.yaml"),
                "--cache",
                str(work / "uw-cache.db"),
            ]
        )
        if run.code != 0:
            raise SystemExit(f"urlwatch failed: {run.err[-500:]}")
        results.append(Pass(name, run, n, {}))
    return results


# ---------------------------------------------------------------- report


def show(n: int, ours: list[Pass], theirs: list[Pass] | None) -> None:
    print(f"\nN = {n}")
    print(
        f"{'pass':<12} {'watcher/s':>9} {'cpu ms':>7} {'rss MB':>7} {'pss MB':>7} "
        f"{'store MB':>8} | {'urlwatch/s':>10} {'cpu ms':>7} {'rss MB':>7} | {'ratio':>6}  outcomes"
    )
    for i, mine in enumerate(ours):
        other = theirs[i] if theirs else None
        right = (
            f"{other.rate:10.1f} {other.cpu_ms:7.1f} {other.run.peak_rss_mb:7.0f} | "
            f"{mine.rate / other.rate:5.2f}x"
            if other
            else f"{'-':>10} {'-':>7} {'-':>7} | {'-':>6}"
        )
        print(
            f"{mine.name:<12} {mine.rate:9.1f} {mine.cpu_ms:7.1f} {mine.run.peak_rss_mb:7.0f} "
            f"{mine.run.peak_tree_pss_mb:7.0f} {mine.store_mb or 0:8.1f} | {right}  "
            f"{mine.outcomes}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--no-urlwatch", action="store_true")
    options = parser.parse_args()
    use_bytecode_cache()
    if not options.corpus.exists():
        print(f"{options.corpus}: no such corpus", file=sys.stderr)
        return 2
    captures = corpus_captures(options.corpus)
    root = Path(tempfile.mkdtemp(prefix="watcher-bench-throughput-"))
    urlwatch = None if options.no_urlwatch else urlwatch_env(root)
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d')}; {len(captures)} corpus captures")
    for n in (int(x) for x in options.sizes.split(",")):
        results = []
        for tool in ("watcher",) if urlwatch is None else ("watcher", "urlwatch"):
            work = root / f"{tool}-{n}"
            pages = work / "pages"
            make_pages(captures, n, pages)
            server = Server(pages)
            try:
                if tool == "watcher":
                    results.append(watcher_passes(server, n, work, pages, captures))
                elif urlwatch is not None:
                    results.append(urlwatch_passes(server, n, work, pages, captures, urlwatch))
            finally:
                server.stop()
            shutil.rmtree(pages)
        show(n, results[0], results[1] if len(results) > 1 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
