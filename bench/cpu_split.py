"""Where `watcher check` spends its CPU, on loopback (run by hand; never in CI).

    python bench/cpu_split.py [CORPUS.tar.xz | UNPACKED_DIR] [--pages 1000]

Serves N pages built as ``bench/throughput.py`` builds them, then:

1. runs a full pass and a 304 pass of ``watcher check`` in one Python process
   that reports its own CPU (fetching, hashing, compressing, storing; its
   start-up included) apart from its worker processes' (normalising);
2. sends the same N conditional requests with httpx alone, 8 in flight, as
   watcher does, once through httpx's default transport (httpcore on anyio) and
   once through watcher's :class:`~watcher.transport.StreamTransport`: the CPU
   an unchanged page costs before watcher records anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _common import DEFAULT_CORPUS, corpus_captures, machine, use_bytecode_cache
from throughput import Server, make_pages, write_sources

from watcher.transport import StreamTransport

IN_FLIGHT = 8

# Runs `watcher ARGS...` in this process and prints the CPU of the process and of
# the worker processes it started (they are waited for, so they count as children).
_CHECK = """
import json, resource, sys
from watcher.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
own, workers = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps([own.ru_utime + own.ru_stime, workers.ru_utime + workers.ru_stime]))
"""


def check_cpu(args: list[str]) -> tuple[float, float]:
    """CPU seconds of one ``watcher`` run: its main process, its workers."""
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, *args], capture_output=True, text=True, check=True
    )
    own, workers = json.loads(done.stdout.strip().splitlines()[-1])
    return float(own), float(workers)


async def _conditional_pass(base: str, n: int, transport: httpx.AsyncBaseTransport | None) -> float:
    """CPU milliseconds per conditional request answered 304, through ``transport``."""
    limits = httpx.Limits(max_connections=IN_FLIGHT)
    async with httpx.AsyncClient(limits=limits, transport=transport) as client:
        first = [await client.get(f"{base}/p/{i}") for i in range(n)]
        etags = [r.headers["etag"] for r in first]
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def one(i: int) -> None:
            async with slots:
                response = await client.get(f"{base}/p/{i}", headers={"If-None-Match": etags[i]})
                assert response.status_code == 304, response.status_code

        start = time.process_time()
        await asyncio.gather(*(one(i) for i in range(n)))
        return 1000 * (time.process_time() - start) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=1000)
    options = parser.parse_args()
    if not options.corpus.exists():
        print(f"{options.corpus}: no such corpus", file=sys.stderr)
        return 2
    use_bytecode_cache()
    captures = corpus_captures(options.corpus)
    n = options.pages
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d')}; {n} pages")
    with tempfile.TemporaryDirectory(prefix="watcher-bench-cpu-") as tmp:
        work = Path(tmp)
        make_pages(captures, n, work / "pages")
        server = Server(work / "pages")
        try:
            config = write_sources(work / "sources.yaml", server.base, n)
            args = ["--config", str(config), "--data-dir", str(work / "d")]
            args += ["--reports-dir", str(work / "r"), "check", "--json"]
            for name in ("full", "304"):
                own, workers = check_cpu(args)
                print(
                    f"{name:>4} pass: main process {1000 * own / n:.2f} ms CPU per page "
                    f"(start-up included), workers {1000 * workers / n:.1f}"
                )
            for name, transport in (
                ("httpx's default transport", None),
                ("watcher's StreamTransport", StreamTransport(max_idle=IN_FLIGHT)),
            ):
                cpu = asyncio.run(_conditional_pass(server.base, n, transport))
                print(f"httpx alone, {name}: {cpu:.2f} ms CPU per 304")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
