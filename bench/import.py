"""Benchmark: `watcher import` over a whole corpus of archived captures.

    python bench/import.py [CORPUS.tar.xz | UNPACKED_DIR]

Imports every document folder of the corpus (default
../shared/corpus/genai-eu.tar.xz; each folder is one source) with one
`watcher import --each` subprocess into a fresh data directory, and prints
captures per second (process start-up included, and without it), CPU
milliseconds per capture, peak memory, and the data directory's size
against the raw bytes. Run by hand; never in CI.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DEFAULT_CORPUS,
    dir_size,
    documents,
    machine,
    measure,
    unpack,
    use_bytecode_cache,
    watcher,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    options = parser.parse_args()
    use_bytecode_cache()
    if not options.corpus.exists():
        print(f"{options.corpus}: no such corpus", file=sys.stderr)
        return 2
    docs = documents(unpack(options.corpus))
    work = Path(tempfile.mkdtemp(prefix="watcher-bench-import-"))
    data = work / "snapshots"
    raw = sum(f.stat().st_size for doc in docs for f in doc.glob("*.html"))
    startup = measure(watcher("--help")).wall
    run = measure(
        watcher(
            "--config",
            str(work / "none.yaml"),
            "--data-dir",
            str(data),
            "import",
            "--each",
            *map(str, docs),
            "--json",
        )
    )
    if run.code != 0:
        print(f"import failed: {run.err.strip()}", file=sys.stderr)
        return 1
    rows = [json.loads(line) for line in run.out.splitlines()]
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    captures = len(rows)
    size = dir_size(data)
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d')}")
    print(f"documents {len(docs)}, captures {captures}, outcomes {statuses}")
    print(
        f"one `watcher import --each` over all documents: {run.wall:.1f} s, "
        f"{captures / run.wall:.1f} captures per second "
        f"({captures / (run.wall - startup):.1f} without the {startup:.2f} s start-up)"
    )
    print(f"CPU per capture: {1000 * run.cpu / captures:.1f} ms (all processes)")
    print(
        f"peak memory: largest process {run.peak_rss_mb:.0f} MB RSS; "
        f"process tree {run.peak_tree_pss_mb:.0f} MB PSS"
    )
    print(
        f"data directory: {size / 1e6:.1f} MB for {raw / 1e6:.1f} MB of raw captures "
        f"= {100 * size / raw:.1f} %"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
