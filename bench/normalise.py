"""Benchmark: normalising pages in one process, a `watcher check` process's start-up, and
loading a large ``sources.yaml``.

    python bench/normalise.py [CORPUS.tar.xz | UNPACKED_DIR] [--pages 90] [--rounds 3]
                              [--instructions]

Analyses every fifth corpus capture (up to ``--pages``) ``--rounds`` times in this
process, as a worker does (parse, find the policy, read its blocks, count words,
outline), and prints the CPU milliseconds per page; then runs ``watcher check``
five times with a sources file that lists no source, and prints the CPU seconds
of the best run: what every `watcher` process pays before its first page; then
loads a ``sources.yaml`` of 1000 sources (as ``bench/throughput.py`` writes it)
five times and prints the CPU milliseconds of the cheapest load.
With ``--instructions``, it prints instead the instructions per page that
``valgrind --tool=callgrind`` counts for one round (one run with a round less one
without, so imports and the parser's set-up cancel out): unlike CPU time, the count is
the same whatever else the host is doing, so two commits compare on a busy host.
To measure another commit's normaliser, put that checkout first on ``PYTHONPATH``.
Run by hand; never in CI.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_CORPUS, corpus_captures, machine, measure, use_bytecode_cache, watcher
from throughput import write_sources

from watcher.analysis import analyse
from watcher.config import load
from watcher.errors import InputError
from watcher.model import Capture
from watcher.normalise import Rules


def normalise_ms(captures: list[Path], rounds: int) -> tuple[float, int]:
    """CPU milliseconds per page over ``rounds`` passes (after one untimed page, which
    pays for the parser's set-up); and how many pages were readable."""
    pages = [
        Capture(body=p.read_bytes(), captured_at=datetime.now(UTC), content_type="text/html")
        for p in captures
    ]
    rules = Rules()
    analyse(pages[0], rules, "bench")
    readable = 0
    start = time.process_time()
    for _ in range(rounds):
        readable = 0
        for page in pages:
            try:
                analyse(page, rules, "bench")
                readable += 1
            except InputError:
                continue
    return 1000 * (time.process_time() - start) / max(rounds * len(pages), 1), readable


_CALLGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")


def instructions_per_page(corpus: Path, pages: int) -> float:
    """Instructions per page of one round over ``pages`` captures, counted by callgrind."""
    counts = []
    for rounds in (0, 1):
        command = [__file__, str(corpus), "--pages", str(pages), "--rounds", str(rounds)]
        run = subprocess.run(
            [*_CALLGRIND, sys.executable, *command, "--pages-only"],
            capture_output=True,
            text=True,
            check=True,
            # A fixed hash seed: string hashing, and so set and dict work, is the same each run.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        found = re.search(r"Collected : (\d+)", run.stderr)
        if found is None:
            raise RuntimeError(f"no instruction count from callgrind: {run.stderr[-300:]}")
        counts.append(int(found.group(1)))
    return (counts[1] - counts[0]) / pages


def startup_seconds(work: Path) -> float:
    """CPU seconds of the cheapest of five `watcher check` runs with no source."""
    config = work / "sources.yaml"
    config.write_text("sources: []\n")
    args = ["--config", str(config), "--data-dir", str(work / "data"), "check"]
    return min(measure(watcher(*args)).cpu for _ in range(5))


def config_ms(work: Path, sources: int) -> float:
    """CPU milliseconds of the cheapest of five loads of a ``sources.yaml`` of ``sources``."""
    config = write_sources(work / "many.yaml", "http://127.0.0.1:9", sources)
    times = []
    for _ in range(5):
        start = time.process_time()
        load(config)
        times.append(time.process_time() - start)
    return 1000 * min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instructions", action="store_true")
    # Internal: the run that --instructions measures (normalising only, nothing printed).
    parser.add_argument("--pages-only", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    use_bytecode_cache()
    if not options.corpus.exists():
        print(f"{options.corpus}: no such corpus", file=sys.stderr)
        return 2
    captures = corpus_captures(options.corpus)
    chosen = captures[::5][: options.pages]
    if not chosen:
        print(f"{options.corpus}: no captures (*.html in document folders)", file=sys.stderr)
        return 2
    if options.pages_only:
        normalise_ms(chosen, options.rounds)
        return 0
    size = sum(p.stat().st_size for p in chosen) / len(chosen) / 1000
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d')}")
    if options.instructions:
        millions = instructions_per_page(options.corpus, len(chosen)) / 1e6
        print(f"normalising: {millions:.1f} million instructions per page ({len(chosen)} pages)")
        return 0
    ms, readable = normalise_ms(chosen, options.rounds)
    print(
        f"normalising: {ms:.2f} ms CPU per page ({readable} of {len(chosen)} pages "
        f"of {size:.0f} KB on average, {options.rounds} rounds)"
    )
    with tempfile.TemporaryDirectory(prefix="watcher-bench-startup-") as work:
        print(
            f"start-up: {startup_seconds(Path(work)):.2f} s CPU for a `watcher check` of no source"
        )
        print(f"sources.yaml of 1000 sources: loaded in {config_ms(Path(work), 1000):.0f} ms CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
