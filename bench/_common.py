"""Shared helpers of the benchmarks (run by hand, never in CI, loopback only)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "genai-eu.tar.xz"


def unpack(corpus: Path, into: Path | None = None) -> Path:
    """Unpack a corpus archive into ``into`` (default: a fresh temporary directory);
    returns its root folder. An unpacked folder is returned as it is."""
    if corpus.is_dir():
        folders = [p for p in corpus.iterdir() if p.is_dir()]
        # A folder an archive was unpacked into holds the corpus's own folder.
        return folders[0] if len(folders) == 1 and not documents(corpus) else corpus
    target = into or Path(tempfile.mkdtemp(prefix="watcher-corpus-"))
    with tarfile.open(corpus) as archive:
        archive.extractall(target, filter="data")
    folders = [p for p in target.iterdir() if p.is_dir()]
    return folders[0] if len(folders) == 1 else target


def documents(root: Path) -> list[Path]:
    """The document folders of an unpacked corpus (each holds its captures)."""
    return sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.html")))


def corpus_captures(corpus: Path) -> list[Path]:
    """Every capture of a corpus (an archive or an unpacked folder), document by document."""
    return sorted(f for doc in documents(unpack(corpus)) for f in doc.glob("*.html"))


@dataclass
class Run:
    """One measured subprocess run."""

    wall: float
    cpu: float
    peak_rss_mb: float
    peak_tree_pss_mb: float
    code: int
    out: str
    err: str


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except OSError:
            continue
    return pids


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(
    args: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 3600,
) -> Run:
    """Run a command; wall time, CPU seconds (children included), the peak RSS of its
    largest process (``ru_maxrss``) and the peak summed PSS of its process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], sum(_pss_kb(p) for p in _tree(proc.pid)))
            # Reading smaps_rollup costs ~1.5 ms of CPU per 150 MB process: every 20 ms
            # that took up to a tenth of a core from the run being measured.
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate(timeout=timeout)
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, after.ru_maxrss / 1024, peak[0] / 1024, proc.returncode, out, err)


def use_bytecode_cache() -> None:
    """Let the measured processes load compiled bytecode, as an installed package does.

    Some sandboxes set ``PYTHONDONTWRITEBYTECODE``, which makes every ``watcher``
    process compile its ~40 modules from source again (about 90 ms of each start-up);
    compile them once here instead, and let the children use the cache. The package
    compiled is the one the children import: another checkout's, when it is first on
    ``PYTHONPATH`` (compiled by the first child instead, it would count in that child's
    figures: ``bench/normalise.py --instructions`` read 3 million instructions per page
    too few on the first run after a change).
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(imported_package())],
        check=True,
        env=os.environ,
    )


def imported_package() -> Path:
    """The folder of the ``watcher`` package that this environment imports."""
    found = subprocess.run(
        [sys.executable, "-c", "import watcher; print(watcher.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,  # not ROOT, whose own package would shadow PYTHONPATH's
    )
    return Path(found.stdout.strip()).parent


def watcher(*args: str) -> list[str]:
    """The command line that runs this checkout's watcher."""
    return [sys.executable, "-m", "watcher", *args]


def dir_size(path: Path) -> int:
    """Bytes of all files below ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def machine() -> str:
    """One line describing this machine."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores ({model}), Python {sys.version.split()[0]}"
