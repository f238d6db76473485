"""Benchmark: the CPU of a `watcher check` that finds nothing new, this checkout
against another, run in turn so that the host's changing speed falls on both alike.

    python bench/alternate.py OTHER_CHECKOUT [CORPUS.tar.xz | UNPACKED_DIR]
                              [--pages 100] [--runs 15] [--same-bytes]

Serves N pages built from the corpus as ``bench/throughput.py`` does, and gives
each checkout its own data directory, checked twice first (every page new, then
nothing new). Then ``--runs`` checks of each, alternating, and the median and
least CPU of each (milliseconds, every process of the check). The server answers
304s, or with ``--same-bytes`` sends the same full bodies without validators.

Each checkout runs with its folder first on ``PYTHONPATH``, from a directory outside
both; the other can be ``git worktree add --detach /tmp/base COMMIT``.
Run by hand; never in CI.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DEFAULT_CORPUS,
    ROOT,
    corpus_captures,
    machine,
    measure,
    use_bytecode_cache,
    watcher,
)
from throughput import Server, make_pages, write_sources


def check_cpu_ms(config: Path, data: Path, cwd: Path, checkout: Path) -> float:
    """CPU milliseconds of one ``watcher check`` of ``checkout``."""
    args = watcher("--config", str(config), "--data-dir", str(data), "check")
    run = measure(args, cwd=cwd, env={"PYTHONPATH": str(checkout)})
    if run.code not in (0, 1):
        raise SystemExit(f"watcher check failed: {run.err.strip()[-300:]}")
    return 1000 * run.cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the checkout to compare with")
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--same-bytes", action="store_true", help="no validators: full bodies")
    options = parser.parse_args()
    other = options.other.resolve()
    if not (other / "watcher" / "__init__.py").exists():
        print(f"{other}: not a watcher checkout", file=sys.stderr)
        return 2
    if not options.corpus.exists():
        print(f"{options.corpus}: no such corpus", file=sys.stderr)
        return 2
    use_bytecode_cache()
    checkouts = {"this checkout": ROOT, str(other): other}
    for checkout in checkouts.values():
        compile_all = [sys.executable, "-m", "compileall", "-q", str(checkout / "watcher")]
        subprocess.run(compile_all, check=True)
    work = Path(tempfile.mkdtemp(prefix="watcher-bench-alternate-"))
    make_pages(corpus_captures(options.corpus), options.pages, work / "pages")
    server = Server(work / "pages")
    try:
        server.mode(validators=not options.same_bytes)
        config = write_sources(work / "sources.yaml", server.base, options.pages)
        data = {name: work / f"data-{i}" for i, name in enumerate(checkouts)}
        cpu: dict[str, list[float]] = {name: [] for name in checkouts}
        for _ in range(2):  # every page new, then nothing new
            for name, checkout in checkouts.items():
                check_cpu_ms(config, data[name], work, checkout)
        for _ in range(options.runs):
            for name, checkout in checkouts.items():
                cpu[name].append(check_cpu_ms(config, data[name], work, checkout))
    finally:
        server.stop()
    kind = "same bytes" if options.same_bytes else "304"
    print(f"machine: {machine()}; {options.pages} pages, {kind}, {options.runs} runs each")
    for name, values in cpu.items():
        median = statistics.median(values)
        per_page = median / options.pages
        print(f"{name}: median {median:.0f} ms ({per_page:.2f} ms a page), least {min(values):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
