"""Benchmark of :func:`watcher.diff.diff` (run by hand: ``python bench/diff.py``; not a test).

Prints the median and 95th percentile time of one diff for synthetic
policies of about 100 KB and 1 MB with 1, 10 and 1000 scattered edits, and,
when ``../shared/corpus/genai-eu.tar.xz`` (or ``--corpus``, an archive or an
unpacked folder) exists, over consecutive pairs of distinct texts of each
corpus document (unpacked to a temporary directory,
normalised with ``normalise.parse(bytes, "text/html")`` and outlined).

Options: ``--quick`` (fewer repetitions), ``--no-corpus``, ``--corpus PATH``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from watcher import normalise, sections
from watcher.diff import diff
from watcher.model import Outline, Section

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_CORPUS, documents, unpack

SUBJECTS = (
    "we", "the company", "our service", "the operator", "our partners", "the processor",
    "you", "the account holder", "our support team", "the controller",
)  # fmt: skip
VERBS = (
    "collect", "store", "process", "review", "protect", "disclose", "keep", "update",
    "delete", "record", "analyse", "encrypt", "publish", "receive", "request",
)  # fmt: skip
OBJECTS = (
    "contact details", "usage records", "payment information", "device identifiers",
    "support messages", "account settings", "log files", "survey answers", "billing records",
    "profile pictures", "preferences", "location signals", "order history", "crash reports",
)  # fmt: skip
TAILS = (
    "when you use the service", "for as long as the account is open", "to provide the features",
    "under the terms of this notice", "where the law allows it", "on servers in the region",
    "after you ask us to", "with appropriate safeguards", "in line with our internal rules",
    "for security purposes", "unless you object", "within a reasonable time",
)  # fmt: skip
TITLES = (
    "Information we collect", "How we use information", "Sharing of data", "Retention",
    "Your choices", "Security measures", "International transfers", "Children",
    "Cookies and similar tools", "Changes to this notice", "Contact details", "Definitions",
    "Legal bases", "Marketing", "Automated decisions", "Complaints", "Service providers",
)  # fmt: skip


def sentence(rng: random.Random) -> str:
    """One synthetic policy sentence (our own words)."""
    text = (
        f"{rng.choice(SUBJECTS)} may {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
    )
    if rng.random() < 0.4:
        text += f" and {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    """A paragraph, sometimes a list item."""
    text = " ".join(sentence(rng) for _ in range(rng.randint(1, 5)))
    return f"- {text}" if rng.random() < 0.2 else text


def policy(size: int, seed: int) -> Outline:
    """A synthetic numbered policy of about ``size`` characters."""
    rng = random.Random(seed)
    out: list[Section] = [Section(0, "", "", "", ("Last updated: 1 March 2024",))]
    total = 0
    number = 0
    while total < size:
        number += 1
        title = f"{rng.choice(TITLES)} {number}"
        subs = rng.randint(0, 3)
        for sub in range(subs + 1):
            num = str(number) if sub == 0 else f"{number}.{sub}"
            body = tuple(paragraph(rng) for _ in range(rng.randint(1, 6)))
            level = 1 if sub == 0 else 2
            heading_title = title if sub == 0 else f"{rng.choice(TITLES)} {num}"
            out.append(Section(level, num, heading_title, f"{num}. {heading_title}", body))
            total += sum(len(p) for p in body) + 40
    return Outline("Synthetic notice", tuple(out))


def edit(outline: Outline, edits: int, seed: int) -> Outline:
    """``outline`` with ``edits`` scattered word and sentence edits."""
    rng = random.Random(seed)
    secs = list(outline.sections)
    for _ in range(edits):
        k = rng.randrange(1, len(secs))
        section = secs[k]
        body = list(section.body)
        p = rng.randrange(len(body))
        words = body[p].split(" ")
        kind = rng.random()
        i = rng.randrange(len(words))
        if kind < 0.4:
            words[i] = rng.choice(VERBS)
        elif kind < 0.6:
            words.insert(i, rng.choice(("promptly", "securely", "only", "also")))
        elif kind < 0.8 and len(words) > 3:
            del words[i]
        else:
            words.append(sentence(rng))
        body[p] = " ".join(words)
        secs[k] = Section(
            section.level, section.number, section.title, section.heading, tuple(body)
        )
    return Outline(outline.title, tuple(secs))


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Wall-clock times of ``runs`` calls of ``fn``, in milliseconds."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def report(label: str, times: list[float]) -> None:
    """One line: label, median, p95, max."""
    print(
        f"{label:<44} median {statistics.median(times):8.1f} ms   "
        f"p95 {p95(times):8.1f} ms   max {max(times):8.1f} ms   (n={len(times)})"
    )


def synthetic(quick: bool) -> None:
    """Time the synthetic pairs."""
    for size, label in ((100_000, "100 KB"), (1_000_000, "1 MB")):
        base = policy(size, seed=size)
        chars = sum(len(s.text) for s in base.sections)
        for edits in (1, 10, 1000):
            runs = 5 if quick else (41 if size < 500_000 else 11)
            pairs = [edit(base, edits, seed) for seed in range(3 if quick else 5)]
            times: list[float] = []
            for new in pairs:
                times += timed(functools.partial(diff, base, new), max(1, runs // len(pairs)))
            change = diff(base, pairs[0])
            report(f"{label} ({chars // 1000} K chars), {edits} edits", times)
            print(f"    {change.headline()}; +{change.inserted} -{change.deleted} words")


def corpus_outlines(corpus: Path) -> Iterator[tuple[str, list[Outline]]]:
    """Per corpus document, the outlines of its distinct texts in capture order."""
    with tempfile.TemporaryDirectory() as tmp:
        for doc in documents(unpack(corpus, Path(tmp))):
            outlines: list[Outline] = []
            seen: set[tuple[Section, ...]] = set()
            for page in sorted(doc.glob("*.html")):
                outline = sections.outline(normalise.parse(page.read_bytes(), "text/html"))
                if outline.sections not in seen:
                    seen.add(outline.sections)
                    outlines.append(outline)
            yield doc.name, outlines


def corpus(archive: Path, quick: bool) -> None:
    """Time consecutive pairs of distinct texts of each corpus document."""
    all_times: list[float] = []
    for name, outlines in corpus_outlines(archive):
        times: list[float] = []
        heads = []
        for old, new in itertools.pairwise(outlines):
            times += timed(functools.partial(diff, old, new), 3 if quick else 9)
            heads.append(diff(old, new).headline())
        if times:
            report(f"{name} ({len(outlines) - 1} pairs)", times)
            for head in heads:
                print(f"    {head}")
        all_times += times
    if all_times:
        report("corpus, all pairs", all_times)


def main() -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    synthetic(args.quick)
    if not args.no_corpus:
        if args.corpus.exists():
            corpus(args.corpus, args.quick)
        else:
            print(f"corpus not found at {args.corpus}: skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
