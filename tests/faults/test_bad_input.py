"""Bad and hostile input: a malformed or hostile ``sources.yaml``, binary or unreadable
files given to ``import``, ``compare`` and ``sections``, hostile arguments. Each gets
one clear line on stderr naming the input, exit code 2, and nothing is written: no
store is created where there was none, no row is added where there was one, no
report or output file appears.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import (
    Run,
    Workspace,
    assert_nothing_written,
    assert_one_line_error,
    canonical_text,
    inject,
    policy_html,
    run_all,
    tree_snapshot,
    watcher,
)

URL = "http://127.0.0.1:9/privacy"  # never fetched: every file here is refused first


def source(extra: str = "", sid: str = "club", url: str = URL) -> str:
    return f"sources:\n  - {{id: {sid}, url: '{url}'{extra}}}\n"


CONFIGS: list[tuple[str, str | bytes, str]] = [
    ("sources-not-a-list", "sources: {id: club}\n", "'sources' must be a list"),
    ("url-not-a-string", "sources:\n  - {id: club, url: [1, 2]}\n", "url must be a string"),
    ("interval-a-list", source(", interval: [1, 2]"), "is not a duration"),
    ("enabled-a-string", source(", enabled: 'yes'"), "enabled must be true or false"),
    ("notify-a-mapping", source(", notify: {a: b}"), "must be a string or a list"),
    ("settings-a-list", "settings: [1]\nsources: []\n", "settings must be a mapping"),
    ("unknown-source-key", source(", colour: red"), "unknown key 'colour'"),
    ("unknown-top-key", "sourcez: []\n", "unknown key 'sourcez'"),
    ("unknown-fetch-key", "settings: {fetch: {retry: 3}}\nsources: []\n", "unknown key 'retry'"),
    ("huge-name", source(f", name: {'x' * 100_000}"), "longer than 500 characters"),
    ("huge-file", "# " + "x" * (6 * 1024 * 1024) + "\nsources: []\n", "too large"),
    ("huge-interval", source(", interval: 99999999999999999999d"), "between 1s and 366d"),
    ("huge-integer", source(f", interval: {'9' * 5000}"), "cannot read"),
    ("huge-size", f"settings: {{fetch: {{max_bytes: {'9' * 400}GB}}}}\nsources: []\n",
     "out of range"),
    ("huge-list", source(f", tags: [{', '.join(['t'] * 300)}]"), "more than 200 entries"),
    ("deep-nesting", "sources: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    (
        "alias-bomb",
        "x: &a [l, l, l, l, l, l, l, l, l]\n"
        "y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" + source(", tags: *c"),
        "unknown key 'x'",
    ),
    ("impossible-date", source(", interval: 2025-02-30"), "cannot read '2025-02-30'"),
    ("python-tag", "sources:\n  - !!python/object/apply:os.system ['touch pwned']\n",
     "could not determine a constructor"),
    ("not-utf8", b"\xff\xfe\x00s\x00o\x00u\x00r\x00c\x00e\x00s\x00", "not UTF-8 text"),
    ("id-dot-dot", source(sid="'../../etc'"), "source id '../../etc' is not valid"),
    ("id-slash", source(sid="'a/b'"), "source id 'a/b' is not valid"),
    ("id-control-character", source(sid='"club\\x07"'), "source id 'club?' is not valid"),
    ("id-newline", source(sid='"club\\nevil"'), "source id 'club?evil' is not valid"),
    ("id-bidi-override", source(sid='"club\\u202egpj"'), "is not valid"),
    ("name-escape-sequence", source(', name: "Club\\x1b[31m"'), "contains control characters"),
    ("url-javascript", source(url="javascript:alert(1)"), "must start with http"),
    ("url-header-injection", source(url="http://127.0.0.1/\\nHost: evil"), "control characters"),
    ("url-space", source(url="http://127.0.0.1/privacy policy"), "contains spaces"),
    (
        "report-url-javascript",
        "settings: {alerts: {report_url: 'javascript:alert(1)//'}}\nsources: []\n",
        "report_url",
    ),
    (
        "smtp-host-crlf",
        'settings: {smtp: {host: "smtp\\r\\nRCPT TO:<x@y.example>", sender: a@b.example}}\n'
        "sources: []\n",
        "settings.smtp.host contains control characters",
    ),
    ("duplicate-ids", source() + source().replace("sources:\n", ""), "duplicate source id"),
    ("bad-keyword-regex", "settings: {keywords: ['(unclosed']}\nsources: []\n",
     "not a valid regular expression"),
]  # fmt: skip


@dataclass
class Case:
    """A prepared run: its folder, the folder's files before, the run."""

    root: Path
    before: dict[str, tuple[int, int]]
    run: Run


@pytest.fixture(scope="module")
def config_cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """``watcher check`` against each hostile sources file, a few at a time."""
    roots = {}
    for name, text, _ in CONFIGS:
        root = roots[name] = tmp_path_factory.mktemp(f"config-{name}")
        config = root / "sources.yaml"
        if isinstance(text, bytes):
            config.write_bytes(text)
        else:
            config.write_text(text, encoding="utf-8")
    before = {name: tree_snapshot(root) for name, root in roots.items()}
    runs = run_all({name: (("check",), root) for name, root in roots.items()})
    return {name: Case(roots[name], before[name], runs[name]) for name in roots}


@pytest.mark.parametrize(
    ("name", "fragment"), [(c[0], c[2]) for c in CONFIGS], ids=[c[0] for c in CONFIGS]
)
def test_hostile_sources_file(config_cases: dict[str, Case], name: str, fragment: str) -> None:
    case = config_cases[name]
    inject("input:sources.yaml")
    line = assert_one_line_error(case.run, "sources.yaml", fragment)
    assert line.isprintable() and len(line) < 400, line
    assert_nothing_written(case.root, case.before)


def test_hostile_sources_file_is_refused_by_every_command(ws: Workspace) -> None:
    """With a store in place: no command touches it when the sources file is bad."""
    ws.server.page("/p", policy_html("Guard Row", 1))
    ws.configure({"club": "/p"})
    ws.check()
    ws.config_path.write_text(source(sid="'../../etc'"), encoding="utf-8")
    before = tree_snapshot(ws.root)
    for args in (("check",), ("run",), ("list",), ("status",), ("digest",), ("report", "1")):
        inject("input:sources.yaml")
        assert_one_line_error(ws.run(*args), "sources.yaml", "is not valid")
    assert_nothing_written(ws.root, before)


# ---------------------------------------------------------------- unreadable files

POLICY = policy_html("Unreadable Alley Club", 1)

FILES: list[tuple[str, str, bytes, str]] = [
    ("binary-png", ".html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "binary file"),
    ("gzip-compressed", ".html", gzip.compress(POLICY.encode()), "binary file"),
    ("utf16-without-bom", ".txt", POLICY.encode("utf-16-le"), "binary file"),
    ("control-bytes", ".txt", bytes(range(1, 32)) * 300, "binary file (control bytes)"),
    ("random-bytes", ".html", random.Random(7).randbytes(60_000), "binary file"),
    ("empty-html", ".html", b"", "empty HTML document"),
    (
        "nested-100000-levels",
        ".html",
        b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>",
        "nested too deeply",
    ),
    ("one-10mb-line-text", ".txt", b"borrowed " * 1_100_000, "a single paragraph of"),
    (
        "one-10mb-line-html",
        ".html",
        b"<html><body><p>" + b"borrowed " * 1_100_000 + b"</p></body></html>",
        "a single paragraph of",
    ),
    (
        "one-10mb-word-html",
        ".html",
        b"<html><body><p>" + b"x" * 10_200_000 + b"</p></body></html>",
        "more than 10,000,000 characters",
    ),
]


def file_cases(command: str) -> list[object]:
    cases = []
    for name, suffix, _, fragment in FILES:
        cases.append(pytest.param(name + suffix, fragment, id=name))
    return cases


def good_file(root: Path) -> Path:
    path = root / "good-20240101T000000.html"
    path.write_text(POLICY, encoding="utf-8")
    return path


COMMANDS = ("sections", "compare", "import", "import-into-a-store")
Cases = dict[tuple[str, str], Case]


@pytest.fixture(scope="module")
def file_cases_run(tmp_path_factory: pytest.TempPathFactory) -> Cases:
    """Every command on every unreadable file, each in its own folder, a few at a time.

    ``import-into-a-store`` imports into a store that holds an earlier capture, with a
    good capture dated before the bad one (it must not be recorded either)."""
    roots: dict[tuple[str, str], Path] = {}
    for command in COMMANDS:
        for name, suffix, body, _ in FILES:
            root = roots[command, name + suffix] = tmp_path_factory.mktemp(f"{command}-{name}")
            (root / f"20240201T000000-{name}{suffix}").write_bytes(body)
            if command != "import":
                good_file(root)
    stores = {k[1]: root for k, root in roots.items() if k[0] == "import-into-a-store"}
    first = run_all(
        {k: (("import", "club", "good-20240101T000000.html"), root) for k, root in stores.items()}
    )
    assert all(run.code == 0 for run in first.values()), first
    jobs: dict[str, tuple[Sequence[str], Path]] = {}
    for (command, name), root in roots.items():
        bad = f"20240201T000000-{name}"
        args: tuple[str, ...] = ("sections", bad)
        if command == "import-into-a-store":
            later = root / "good-20240115T000000.html"
            later.write_text(policy_html("Unreadable Alley Club", 2), encoding="utf-8")
            args = ("import", "club", later.name, bad)
        elif command == "compare":
            args = ("compare", "good-20240101T000000.html", bad, "--format", "html", "-o", "x.html")
        elif command == "import":
            args = ("import", "club", bad)
        jobs[f"{command}/{name}"] = (args, root)
    before = {key: tree_snapshot(root) for key, root in roots.items()}
    runs = run_all(jobs)
    return {key: Case(roots[key], before[key], runs[f"{key[0]}/{key[1]}"]) for key in roots}


def check_refused(cases: Cases, command: str, name: str, fragment: str) -> None:
    case = cases[command, name]
    inject("input:file")
    assert_one_line_error(case.run, name, fragment)
    assert_nothing_written(case.root, case.before)


@pytest.mark.parametrize(("name", "fragment"), file_cases("sections"))
def test_sections_refuses(file_cases_run: Cases, name: str, fragment: str) -> None:
    check_refused(file_cases_run, "sections", name, fragment)


@pytest.mark.parametrize(("name", "fragment"), file_cases("compare"))
def test_compare_refuses(file_cases_run: Cases, name: str, fragment: str) -> None:
    check_refused(file_cases_run, "compare", name, fragment)


@pytest.mark.parametrize(("name", "fragment"), file_cases("import"))
def test_import_into_no_store_refuses(file_cases_run: Cases, name: str, fragment: str) -> None:
    check_refused(file_cases_run, "import", name, fragment)


@pytest.mark.parametrize(("name", "fragment"), file_cases("import-into-a-store"))
def test_import_into_a_store_adds_nothing(file_cases_run: Cases, name: str, fragment: str) -> None:
    """A good file captured before the bad one is not recorded either."""
    check_refused(file_cases_run, "import-into-a-store", name, fragment)


# ---------------------------------------------------------------- text that is not UTF-8 is not bad


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16"])
def test_legacy_encodings_are_read_not_refused(tmp_path: Path, encoding: str) -> None:
    """The same policy in another encoding (declared nowhere) is the same text."""
    page = policy_html("Accent Café Club", 1, meta_charset=False)
    if encoding == "latin-1":
        page = page.replace("’", "'").replace("–", "-")
    (tmp_path / "utf8.html").write_text(page, encoding="utf-8")
    (tmp_path / "legacy-20240101T000000.html").write_bytes(page.encode(encoding))
    same = watcher("compare", "utf8.html", "legacy-20240101T000000.html", cwd=tmp_path)
    assert same.code == 0, str(same)
    imported = watcher("import", "club", "legacy-20240101T000000.html", cwd=tmp_path)
    assert imported.code == 0, str(imported)
    shown = watcher("show", "club", cwd=tmp_path)
    assert shown.out == canonical_text(page)
    assert "Café" in shown.out


# ---------------------------------------------------------------- hostile arguments

ARGUMENTS = [
    ("import-id-dot-dot", ("import", "../../etc", "good-20240101T000000.html"), "is not valid"),
    ("import-id-escape", ("import", "club\x1b[2J", "good-20240101T000000.html"), "is not valid"),
    ("import-id-newline", ("import", "club\nevil", "good-20240101T000000.html"), "is not valid"),
    ("history-dot-dot", ("history", "../club"), "no source '../club'"),
    ("show-dot-dot", ("show", "../../club"), "no source '../../club'"),
    ("diff-unknown", ("diff", "club/../club"), "no source"),
    ("show-bad-version", ("show", "club", "1; DROP TABLE versions"), "neither a version id"),
    ("report-unknown", ("report", "999999"), "no change with id 999999"),
]


@pytest.mark.parametrize(
    ("args", "fragment"), [a[1:] for a in ARGUMENTS], ids=[a[0] for a in ARGUMENTS]
)
def test_hostile_arguments(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    good = good_file(tmp_path)
    assert watcher("import", "club", good.name, cwd=tmp_path).code == 0
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    before = tree_snapshot(tmp_path)
    inject("input:argument")
    line = assert_one_line_error(watcher(*args, cwd=tmp_path), fragment)
    assert line.isprintable(), line
    assert_nothing_written(tmp_path, before)
