"""Noise rejection measured on real policy archives (run by hand; not a test).

Usage: ``python bench/noise.py CORPUS [--details] [--only SLUG ...] [--dump FILE]``

``CORPUS`` is a ``.tar.xz`` (or ``.tar.gz``, ``.tar``) of document folders, or
an already unpacked folder. Each document folder holds raw captures
``NNNN_YYYYMMDDThhmmss.html``, ``truth.json`` (``captures[]`` with ``file``,
``change`` and ``expected``) and ``expected/*.md`` (the document text a
person selected by hand).

Each document's captures go through ``watcher import ID FILE... --name SLUG --json``
(``ID`` is the source id the folder's name gives, as ``import --each`` makes it; a
real subprocess, no configuration, a fresh data directory). Scoring:

* a ``changed`` import status at a ``change: true`` capture is a true alarm,
  at a ``change: false`` capture a false alarm; a ``true`` capture without
  ``changed`` is a missed change; ``null`` captures are not scored; a capture that
  ``watcher import`` refuses as unreadable (exit 2: empty, binary, a damaged PDF) is left
  out and the others imported again; it counts as ``refused``, like a rejected capture;
* extraction: the text of the version each capture's JSON line names (read
  from the store's ``versions.text``; for a rejected capture, the version in
  force before it) against ``expected``, as bags of case-folded words (link
  and image targets, HTML tags and Markdown escapes ignored); a capture's
  score is 2PR/(P+R); the mean and the 10th percentile (nearest rank) are
  reported, then again over the captures whose reference can be a document
  (:func:`one_copy`: not a header, an error page or the text twice);
* speed: captures per second of wall time spent in ``watcher import``
  (process start-up included), one process at a time, pinned to one core;
  and the steady rate: the same with the start-up of a ``watcher`` process
  (measured once, as ``watcher --help``, also on one core) taken out.

The exit status is 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import unpack, use_bytecode_cache

from watcher.config import source_id_for

TARGETS = {
    "precision": 0.97,
    "recall": 0.97,
    "f1_mean": 0.97,
    "f1_p10": 0.90,
    "pages_s": 20.0,
    "steady_pages_s": 20.0,
}

_MD_LINK = re.compile(r"(!?\[[^\]]*\])\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(?:https?|mailto):[^>]+>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> Counter[str]:
    """The bag of case-folded words of Markdown or canonical text.

    Link and image targets, autolinks and HTML tags are dropped; Markdown
    escapes and emphasis marks fall away because only letters and digits
    make words.
    """
    text = _MD_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(" ", text)
    text = _TAG.sub(" ", text)
    return Counter(w.casefold() for w in _WORD.findall(text))


def f1(got: Counter[str], expected: Counter[str]) -> float:
    """Word-level F1 of two bags of words (1.0 when both are empty)."""
    if not got and not expected:
        return 1.0
    common = sum((got & expected).values())
    if not common:
        return 0.0
    precision = common / sum(got.values())
    recall = common / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def one_copy(reference: Counter[str]) -> bool:
    """Whether a reference text can be a document: 50 words or more (shorter ones are
    headers or error pages), and not the same text twice (then most of its words
    occur an even number of times)."""
    total = sum(reference.values())
    even = sum(n for n in reference.values() if n % 2 == 0)
    return total >= 50 and even < 0.8 * total


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def ratio(num: int, den: int) -> float:
    """``num / den``, NaN when ``den`` is 0."""
    return num / den if den else math.nan


# ---------------------------------------------------------------- scoring


@dataclass
class Score:
    """Counts and extraction scores for one document (or all of them)."""

    captures: int = 0
    hits: int = 0
    false_alarms: int = 0
    misses: int = 0
    seconds: float = 0.0
    steady_seconds: float = 0.0
    steady_pages: int = 0
    f1s: list[float] = field(default_factory=list)
    one_copy_f1s: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Fold another document's score into this one."""
        self.captures += other.captures
        self.hits += other.hits
        self.false_alarms += other.false_alarms
        self.misses += other.misses
        self.seconds += other.seconds
        self.steady_seconds += other.steady_seconds
        self.steady_pages += other.steady_pages
        self.f1s.extend(other.f1s)
        self.one_copy_f1s.extend(other.one_copy_f1s)

    @property
    def precision(self) -> float:
        """True alarms over all alarms on scored captures."""
        return ratio(self.hits, self.hits + self.false_alarms)

    @property
    def recall(self) -> float:
        """True alarms over real changes."""
        return ratio(self.hits, self.hits + self.misses)

    @property
    def pages_s(self) -> float:
        """Captures imported per second of wall time, process start-up included."""
        return self.captures / self.seconds if self.seconds else math.nan

    @property
    def steady_pages_s(self) -> float:
        """Captures per second once the process is running (start-up excluded)."""
        return self.steady_pages / self.steady_seconds if self.steady_seconds else math.nan

    def row(self, name: str) -> str:
        """One line of the results table."""
        mean = sum(self.f1s) / len(self.f1s) if self.f1s else math.nan
        return (
            f"{name[:42]:<42} {self.captures:>4} {self.hits:>4} {self.false_alarms:>4} "
            f"{self.misses:>4} {self.precision:>6.3f} {self.recall:>6.3f} "
            f"{mean:>6.3f} {percentile(self.f1s, 0.1):>6.3f} {self.pages_s:>7.1f} "
            f"{self.steady_pages_s:>7.1f}"
        )


HEADER = (
    f"{'document':<42} {'caps':>4} {'true':>4} {'fals':>4} {'miss':>4} {'prec':>6} "
    f"{'recall':>6} {'F1':>6} {'F1p10':>6} {'pages/s':>7} {'steady':>7}"
)


def documents(root: Path, only: Sequence[str]) -> Iterator[Path]:
    """The document folders under ``root`` (those with a ``truth.json``), sorted."""
    for truth in sorted(root.rglob("truth.json")):
        if not only or truth.parent.name in only:
            yield truth.parent


def run_import(
    folder: Path, files: Sequence[Path], data_dir: Path
) -> tuple[list[Any], float, int, str]:
    """``watcher import`` of ``files`` into ``data_dir``.

    Returns its JSON lines, the wall time of the whole process, its exit status and
    its standard error.
    """
    command = [
        sys.executable,
        "-m",
        "watcher",
        "--data-dir",
        str(data_dir),
        "--config",
        str(data_dir / "no-sources.yaml"),
        "import",
        source_id_for(folder.name),
        "--name",
        folder.name,
        *map(str, files),
        "--json",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    lines: list[Any] = []
    start = time.perf_counter()
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_one_core,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip():
                lines.append(json.loads(line))
        errors = process.stderr.read() if process.stderr else ""
    return lines, time.perf_counter() - start, process.returncode, errors


@dataclass
class Imported:
    """What ``watcher import`` made of one document's captures."""

    lines: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    runs: int = 0
    refused: dict[str, str] = field(default_factory=dict)


def import_captures(folder: Path, files: Sequence[Path], data_dir: Path) -> Imported:
    """Import ``files``; when ``watcher import`` refuses a file it cannot read (exit 2:
    empty, binary, a damaged PDF), leave that file out and import the others again, as a
    user would. The result holds the JSON lines, the wall time and number of the runs,
    and the refused files (name → watcher's message)."""
    remaining, done = list(files), Imported()
    while remaining:
        lines, spent, code, errors = run_import(folder, remaining, data_dir)
        done.seconds += spent
        done.runs += 1
        if code == 0:
            done.lines = lines
            break
        bad = _refused_file(errors, remaining) if code == 2 else None
        if bad is None:
            raise SystemExit(f"watcher import failed for {folder.name}:\n{errors}")
        done.refused[bad.name] = errors.strip().split(f"{bad}: ", 1)[-1]
        remaining.remove(bad)
    return done


def _refused_file(errors: str, files: Sequence[Path]) -> Path | None:
    """The file a one-line ``watcher import`` error names, if it names one of ``files``."""
    message = errors.strip().removeprefix("watcher: error: ")
    return next((f for f in files if message.startswith(f"{f}: ")), None)


def _one_core() -> None:
    """Run the import on one core (the target is per core; watcher then uses no workers)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def version_texts(data_dir: Path) -> dict[int, str]:
    """The text of every version in the store, by id."""
    if not (data_dir / "watcher.db").exists():  # every capture refused
        return {}
    conn = sqlite3.connect(data_dir / "watcher.db")
    try:
        return {int(row[0]): str(row[1]) for row in conn.execute("SELECT id, text FROM versions")}
    finally:
        conn.close()


def startup_seconds() -> float:
    """Wall time of starting a ``watcher`` process that does nothing, on one core."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "watcher", "--help"],
        capture_output=True,
        check=True,
        preexec_fn=_one_core,
    )
    return time.perf_counter() - start


def score_document(folder: Path, work: Path, startup: float) -> Score:
    """Import one document's captures and score the outcome against its truth."""
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))["captures"]
    files = [folder / c["file"] for c in truth]
    data_dir = work / folder.name
    data_dir.mkdir()
    imported = import_captures(folder, files, data_dir)
    by_file = {Path(line["file"]).name: line for line in imported.lines}
    for name, message in imported.refused.items():
        by_file[name] = {"status": "refused", "version": None, "reason": message}
    texts = version_texts(data_dir)
    score = Score(
        captures=len(truth),
        seconds=imported.seconds,
        steady_seconds=max(imported.seconds - startup * imported.runs, 1e-6),
        steady_pages=len(imported.lines),
    )
    in_force: int | None = None
    for capture in truth:
        line = by_file[capture["file"]]
        status, version = line["status"], line["version"]
        in_force = version if version is not None else in_force
        changed = status == "changed"
        label = capture["change"]
        if label is True and changed:
            score.hits += 1
        elif label is True:
            score.misses += 1
            score.notes.append(f"miss  {capture['file']}: {status} {line['reason'] or ''}")
        elif label is False and changed:
            score.false_alarms += 1
            score.notes.append(f"false {capture['file']}: changed to v{version}")
        expected = words((folder / capture["expected"]).read_text(encoding="utf-8"))
        got = texts.get(in_force, "") if in_force is not None else ""
        score.f1s.append(f1(words(got), expected))
        if one_copy(expected):
            score.one_copy_f1s.append(score.f1s[-1])
        score.rows.append(
            {
                "document": folder.name,
                "file": capture["file"],
                "change": label,
                "status": status,
                "reason": line["reason"],
                "version": version,
                "f1": round(score.f1s[-1], 4),
            }
        )
    return score


def report(scores: dict[str, Score], details: bool) -> Score:
    """Print the per-document table and the overall line; return the total."""
    total = Score()
    print(HEADER)
    for name, score in scores.items():
        total.add(score)
        print(score.row(name))
        if details:
            for note in score.notes:
                print(f"    {note}")
    print("-" * len(HEADER))
    print(total.row("ALL"))
    clean = total.one_copy_f1s
    print(
        f"F1 where the reference is one copy of a document ({len(total.f1s) - len(clean)} "
        f"captures excluded): mean {sum(clean) / len(clean) if clean else math.nan:.3f}, "
        f"10th percentile {percentile(clean, 0.1):.3f}"
    )
    return total


def verdict(total: Score) -> bool:
    """Print each target with its measured figure; whether all are met."""
    mean = sum(total.f1s) / len(total.f1s) if total.f1s else math.nan
    measured = {
        "precision": total.precision,
        "recall": total.recall,
        "f1_mean": mean,
        "f1_p10": percentile(total.f1s, 0.1),
        "pages_s": total.pages_s,
        "steady_pages_s": total.steady_pages_s,
    }
    ok = True
    for key, target in TARGETS.items():
        met = measured[key] >= target
        ok = ok and met
        print(f"{key:<10} {measured[key]:8.3f}  target >= {target:<6}  {'ok' if met else 'BELOW'}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every target is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="corpus .tar.xz or unpacked folder")
    parser.add_argument("--details", action="store_true", help="list every miss and false alarm")
    parser.add_argument("--only", nargs="*", default=(), help="document folder names to run")
    parser.add_argument("--dump", type=Path, help="write one JSON line per capture to this file")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"{args.corpus}: no such corpus", file=sys.stderr)
        return 2
    use_bytecode_cache()
    with tempfile.TemporaryDirectory(prefix="watcher-noise-") as tmp:
        work = Path(tmp)
        (work / "corpus").mkdir()
        (work / "stores").mkdir()
        root = unpack(args.corpus, work / "corpus")
        startup = startup_seconds()
        scores = {
            folder.name: score_document(folder, work / "stores", startup)
            for folder in documents(root, args.only)
        }
    if not scores:
        print(f"no document folders (with truth.json) in {args.corpus}", file=sys.stderr)
        return 2
    total = report(scores, args.details)
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for score in scores.values():
                for row in score.rows:
                    out.write(json.dumps(row) + "\n")
    print()
    return 0 if verdict(total) else 1


if __name__ == "__main__":
    sys.exit(main())
