"""The CLI as a real subprocess against a loopback HTTP server and a real store."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.store import Store

from .conftest import (
    SEEDS,
    CliResult,
    CountedPage,
    LoopbackServer,
    Reply,
    make_pdf,
    needs_seeds,
)

PAGES = Path(__file__).parent / "fixtures" / "pages"
Cli = Callable[..., CliResult]


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


CONFIRM = "{{timeout: 2s, retries: 1, backoff: 0.05s, confirm_after: {}}}"


def configure(
    tmp_path: Path,
    server: LoopbackServer,
    paths: dict[str, str],
    fetch: str = CONFIRM.format("0s"),
) -> None:
    lines = ["settings:", f"  fetch: {fetch}", "sources:"]
    for sid, path in paths.items():
        lines.append(f"  - {{id: {sid}, name: '{sid.title()} Policy', url: '{server.url(path)}'}}")
    (tmp_path / "sources.yaml").write_text("\n".join(lines) + "\n")


def check_json(cli: Cli, *ids: str) -> tuple[int, dict[str, dict[str, object]]]:
    result = cli("check", "--json", *ids)
    rows = [json.loads(line) for line in result.out.splitlines() if line.strip()]
    return result.code, {r["source"]: r for r in rows}


def fetch_rows(tmp_path: Path, source: str) -> list[dict[str, object]]:
    store = Store.open(tmp_path / "snapshots")
    try:
        return list(
            store.db.query("SELECT * FROM fetches WHERE source_id = ? ORDER BY id", [source])
        )
    finally:
        store.close()


def test_first_unchanged_changed_with_report(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    server.page("/privacy", page("acme_v1.html"))
    configure(tmp_path, server, {"acme": "/privacy"})
    assert check_json(cli)[1]["acme"]["status"] == "first"
    server.page("/privacy", page("acme_v1_noisy.html"))
    assert check_json(cli)[1]["acme"]["status"] == "unchanged"
    server.page("/privacy", page("acme_v2.html"))
    code, rows = check_json(cli)
    assert code == 0 and rows["acme"]["status"] == "changed"
    reports = list((tmp_path / "reports" / "acme").glob("*.html"))
    written = reports[0].read_text()
    assert len(reports) == 1 and "Children" in written
    # the report written while recording reuses that diff; rendered afresh it is the same
    assert cli("report", "1").code == 0 and reports[0].read_text() == written

    history = json.loads(cli("history", "acme", "--json").out)
    assert [v["id"] for v in history] == [2, 1]
    assert all(len(v["content_sha256"]) == 64 and v["words"] > 200 for v in history)
    shown = cli("show", "acme", "1").out
    assert "We do not sell personal data." in shown and "cookies" not in shown
    latest = cli("show", "acme").out
    assert "advertising partners" in latest
    diff = json.loads(cli("diff", "acme", "--format", "json").out)
    assert diff["changed"] is True
    status = json.loads(cli("status", "--json").out)["sources"][0]
    assert (status["id"], status["versions"], status["last_outcome"]) == ("acme", 2, "changed")


def test_check_confirms_a_change_with_a_second_fetch(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    server.set("/privacy", CountedPage("acme_v1.html"))
    server.page("/other", page("acme_v2.html"))
    configure(tmp_path, server, {"acme": "/privacy", "other": "/other"}, CONFIRM.format("0.3s"))
    assert {r["status"] for r in check_json(cli)[1].values()} == {"first"}
    code, rows = check_json(cli)
    assert code == 0 and rows["acme"]["status"] == "unchanged", rows
    assert rows["acme"]["reason"] == "only lines that differ between two fetches changed"
    assert (server.hits("/privacy"), server.hits("/other")) == (3, 2)

    configure(tmp_path, server, {"acme": "/privacy"}, CONFIRM.format("off"))
    assert check_json(cli)[1]["acme"]["status"] == "changed"


def read_terminal(main: int) -> str:
    """What was written to a pseudo-terminal (whose other end is closed), then close it."""
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: nothing more to read
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return b"".join(chunks).decode()


def test_on_a_terminal_check_says_why_it_waits(tmp_path: Path, server: LoopbackServer) -> None:
    server.set("/privacy", CountedPage("acme_v1.html"))
    configure(tmp_path, server, {"acme": "/privacy"}, CONFIRM.format("0.2s"))
    said = []
    for _ in range(2):
        main, terminal = pty.openpty()
        proc = subprocess.run(
            [sys.executable, "-m", "watcher", "check"],
            cwd=tmp_path,
            stderr=terminal,
            stdout=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1"},
            timeout=60,
        )
        os.close(terminal)
        said.append(read_terminal(main))
        assert proc.returncode == 0
    assert "to confirm" not in said[0]
    assert "1 source(s) changed: fetching again in 0s to confirm" in said[1]


def test_summary_table_and_exit_code(cli: Cli, tmp_path: Path, server: LoopbackServer) -> None:
    server.page("/ok", page("acme_v1.html"))
    server.page("/challenge", page("challenge.html"))
    configure(tmp_path, server, {"good": "/ok", "blocked": "/challenge"})
    result = cli("check")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].split() == ["SOURCE", "STATUS", "VERSION", "DETAIL"]
    assert any(line.startswith("blocked") and "rejected" in line for line in lines)
    assert any(line.startswith("good") and "first" in line for line in lines)


def test_not_modified_answers_are_unchanged(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    body = page("acme_v1.html")

    def conditional(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(status=304, content_type=None)
        return Reply(body=body, headers={"ETag": '"v1"'})

    server.set("/privacy", conditional)
    configure(tmp_path, server, {"acme": "/privacy"})
    check_json(cli)
    code, rows = check_json(cli)
    assert code == 0 and rows["acme"]["status"] == "unchanged"
    assert rows["acme"]["reason"] == "not modified (304)"
    last = fetch_rows(tmp_path, "acme")[-1]
    assert last["http_status"] == 304 and last["version_id"] == 1


def test_server_error_then_success_records_both_attempts(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    server.set("/privacy", Reply(status=500, body="oops"), Reply(body=page("acme_v1.html")))
    configure(tmp_path, server, {"acme": "/privacy"})
    assert check_json(cli)[1]["acme"]["status"] == "first"
    rows = fetch_rows(tmp_path, "acme")
    assert [(r["outcome"], r["http_status"]) for r in rows] == [("retry", 500), ("first", 200)]


@pytest.mark.parametrize(
    ("reply", "fetch", "status", "reason"),
    [
        (Reply(delay=3, body="late"), "{timeout: 1s, retries: 0}", "failed", "timeout"),
        (Reply(status=503, body="down"), "{retries: 1, backoff: 0.01s}", "failed", "HTTP 503"),
        (
            Reply(body="<p>" + "x" * 5000 + "</p>"),
            "{max_bytes: 2KB, retries: 0}",
            "failed",
            "larger than",
        ),
        (Reply(body=page("challenge.html")), "{retries: 0}", "rejected", "challenge page"),
        (Reply(body="<html><body>   </body></html>"), "{retries: 0}", "rejected", "empty page"),
    ],
    ids=["timeout", "server-error", "oversized", "challenge-200", "empty-page"],
)
def test_outages_and_broken_pages_never_make_a_version(
    cli: Cli,
    tmp_path: Path,
    server: LoopbackServer,
    reply: Reply,
    fetch: str,
    status: str,
    reason: str,
) -> None:
    server.page("/privacy", page("acme_v1.html"))
    configure(tmp_path, server, {"acme": "/privacy"})
    check_json(cli)
    configure(tmp_path, server, {"acme": "/privacy"}, fetch)
    server.set("/privacy", reply)
    code, rows = check_json(cli)
    assert code == 1
    assert rows["acme"]["status"] == status and reason in rows["acme"]["reason"]
    store = Store.open(tmp_path / "snapshots")
    assert store.count("versions") == 1 and store.count("changes") == 0
    store.close()
    assert not (tmp_path / "reports" / "acme").exists()


def test_redirect_chain_is_followed_and_recorded(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    server.set("/a", Reply(status=301, headers={"Location": "/b"}))
    server.set("/b", Reply(status=302, headers={"Location": "/c"}))
    server.page("/c", page("acme_v1.html"))
    configure(tmp_path, server, {"acme": "/a"})
    assert check_json(cli)[1]["acme"]["status"] == "first"
    row = fetch_rows(tmp_path, "acme")[-1]
    assert json.loads(str(row["redirects"])) == [server.url("/a"), server.url("/b")]
    assert row["final_url"] == server.url("/c")


def test_page_that_lies_about_its_charset(cli: Cli, tmp_path: Path, server: LoopbackServer) -> None:
    html = page("acme_v1.html").replace(
        "Acme Widgets Privacy Notice", "Acme Widgets – Déclaration de confidentialité"
    )
    server.set(
        "/privacy", Reply(body=html.encode("utf-8"), content_type="text/html; charset=iso-8859-1")
    )
    configure(tmp_path, server, {"acme": "/privacy"})
    check_json(cli)
    assert "# Acme Widgets – Déclaration de confidentialité" in cli("show", "acme").out


PDF_POLICY = [
    [
        "Acme Data Processing Terms",
        "Effective 1 March 2026",
        "1. Scope",
        "These terms apply when Acme processes personal data on behalf of its customers in",
        "the course of providing the hosted service described in the order form.",
        "2. Subprocessors",
        "Acme may engage the subprocessors listed at acme.example/subprocessors and will",
        "notify customers thirty days before it adds a new subprocessor to that list.",
    ],
    [
        "3. Security",
        "Acme keeps personal data encrypted at rest and in transit, and reviews access to",
        "production systems every quarter with an independent auditor of its choice.",
    ],
]


def test_a_policy_published_as_pdf_is_tracked(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    def serve(pages: list[list[str]], file_id: str) -> None:
        pdf = make_pdf(pages, file_id)
        server.set("/dpa.pdf", Reply(body=pdf, content_type="application/pdf"))

    serve(PDF_POLICY, "a" * 32)
    configure(tmp_path, server, {"dpa": "/dpa.pdf"})
    assert check_json(cli)[1]["dpa"]["status"] == "first"
    serve(PDF_POLICY, "b" * 32)  # exported again: new bytes, same text
    assert check_json(cli)[1]["dpa"]["status"] == "unchanged"
    revised = [list(page) for page in PDF_POLICY]
    revised[0][7] = "notify customers ten days before it adds a new subprocessor to that list."
    serve(revised, "c" * 32)
    assert check_json(cli)[1]["dpa"]["status"] == "changed"
    diff = json.loads(cli("diff", "dpa", "--format", "json").out)
    changed = [s for s in diff["sections"] if s["status"] != "unchanged"]
    assert [s["new_title"] for s in changed] == ["Subprocessors"], changed
    edits = [(h["op"], h["text"]) for h in changed[0]["hunks"] if h["op"] != "equal"]
    assert edits == [("delete", "thirty"), ("insert", "ten")]
    shown = cli("show", "dpa").out
    assert "notify customers ten days before" in shown and "thirty" not in shown
    server.set("/dpa.pdf", Reply(body=b"%PDF-1.7\n% cut short", content_type="application/pdf"))
    damaged = check_json(cli)[1]["dpa"]
    assert damaged["status"] == "rejected" and "cannot read PDF" in str(damaged["reason"])
    serve([[], []], "d" * 32)  # a scan: pages without a text layer
    scanned = check_json(cli)[1]["dpa"]
    assert (scanned["status"], scanned["reason"]) == ("rejected", "empty page (no text)")
    assert len(json.loads(cli("history", "dpa", "--json").out)) == 2


def test_import_a_folder_of_pdf_captures(cli: Cli, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    revised = [
        PDF_POLICY[0],
        [*PDF_POLICY[1], "4. Audits", "Customers may audit Acme once a year."],
    ]
    for stamp, pages, file_id in [
        ("20250101T000000", PDF_POLICY, "1" * 32),
        ("20250201T000000", PDF_POLICY, "2" * 32),
        ("20250301T000000", revised, "3" * 32),
    ]:
        (archive / f"{stamp}.pdf").write_bytes(make_pdf(pages, file_id))
    result = cli("import", "dpa", str(archive), "--json")
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["status"] for r in rows] == ["first", "unchanged", "changed"]
    truncated = tmp_path / "20250401T000000.pdf"
    truncated.write_bytes(b"%PDF-1.7\n% a download cut short")
    result = cli("import", "dpa", str(truncated))
    assert result.code == 2 and result.err.strip().splitlines() == [
        f"watcher: error: {truncated}: cannot read PDF (PdfStreamError: Stream has ended "
        "unexpectedly)"
    ]


def test_import_a_folder_of_captures(cli: Cli, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    for stamp, name in [
        ("20250101T000000", "acme_v1.html"),
        ("20250201T000000", "acme_v1_noisy.html"),
        ("20250301T000000", "notfound.html"),
        ("20250401T000000", "acme_v2.html"),
    ]:
        (archive / f"{stamp}.html").write_bytes((PAGES / name).read_bytes())
    result = cli("import", "acme-archive", str(archive), "--json")
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["status"] for r in rows] == ["first", "unchanged", "rejected", "changed"]
    assert set(rows[0]) == {"file", "captured_at", "status", "version", "reason"}
    assert rows[0]["captured_at"] == "2025-01-01T00:00:00+00:00"
    assert rows[3]["version"] == 2
    again = cli("import", "acme-archive", str(archive), "--json")
    assert [json.loads(line)["status"] for line in again.out.splitlines()] == ["unchanged"] * 4
    store = Store.open(tmp_path / "snapshots")
    assert store.source_row("acme-archive")["archive_only"] == 1  # type: ignore[index]
    store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "acme", "missing.html"), "missing.html: no such file"),
        (("import", "../bad", "x.html"), "source id '../bad' is not valid"),
        (("sections", "missing.txt"), "missing.txt: no such file"),
        (("compare", "a.bin", "b.bin"), "binary file"),
        (("history", "nope"), "no watcher store here"),
    ],
    ids=[
        "import-missing-file",
        "import-bad-id",
        "sections-missing",
        "compare-binary",
        "history-no-store",
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "a.bin").write_bytes(b"\x00\x01\x02\x03")
    (tmp_path / "b.bin").write_bytes(b"\x00\x01\x02\x04")
    result = cli(*args)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and message in result.err
    assert not (tmp_path / "snapshots" / "watcher.db").exists() or args[0] != "import"


@needs_seeds
def test_sections_json_of_a_seed(cli: Cli) -> None:
    result = cli("sections", str(SEEDS / "002_925f0d373b4d26a6.txt"), "--json")
    data = json.loads(result.out)
    assert data["title"] == "Privacy Policy | Connect"
    assert data["sections"][0] == {"level": 1, "number": "1", "title": "Introduction", "words": 79}
    assert [s["number"] for s in data["sections"] if s["level"] == 3] == ["9.1.1", "9.1.2", "9.1.3"]


def test_sections_of_a_stored_source(cli: Cli, tmp_path: Path, server: LoopbackServer) -> None:
    server.page("/privacy", page("acme_v1.html"))
    configure(tmp_path, server, {"acme": "/privacy"})
    check_json(cli)
    text = cli("sections", "acme").out.splitlines()
    assert text[0] == "Privacy Notice – Acme Widgets"
    assert "      3.1 Marketing  (24 words)" in text


def test_compare_exit_codes(cli: Cli) -> None:
    same = cli("compare", str(PAGES / "acme_v1.html"), str(PAGES / "acme_v1_noisy.html"))
    assert same.code == 0
    differ = cli(
        "compare", str(PAGES / "acme_v1.html"), str(PAGES / "acme_v2.html"), "--format", "json"
    )
    assert differ.code == 1
    assert json.loads(differ.out)["changed"] is True


def test_init_writes_a_starter_and_refuses_to_overwrite(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").code == 0
    assert (tmp_path / "sources.yaml").exists() and (tmp_path / "snapshots").is_dir()
    again = cli("init")
    assert again.code == 2 and "already exists" in again.err
    listed = json.loads(cli("list", "--json").out)
    assert len(listed) == 5 and listed[0]["last_check"] is None


def test_init_writes_no_sources_file_when_it_cannot_make_the_data_folder(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "snapshots").write_text("a file where the data folder goes")
    failed = cli("init")
    assert failed.code == 2 and "snapshots" in failed.err, failed
    assert not (tmp_path / "sources.yaml").exists()


def test_a_source_named_twice_is_checked_once(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    server.page("/acme", (PAGES / "acme_v1.html").read_text(encoding="utf-8"))
    configure(tmp_path, server, {"acme": "/acme"})
    result = cli("check", "--json", "acme", "acme", "acme")
    assert result.code == 0 and len(result.out.splitlines()) == 1, result
    assert len(fetch_rows(tmp_path, "acme")) == 1


def test_imported_history_counts_when_it_was_captured_not_when_imported(
    cli: Cli, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    for stamp, name in [("20250101T120000", "acme_v1.html"), ("20250301T120000", "acme_v2.html")]:
        (archive / f"acme-{stamp}.html").write_bytes((PAGES / name).read_bytes())
    assert cli("import", "acme", str(archive)).code == 0
    (tmp_path / "sources.yaml").write_text("sources: []\n")
    states = json.loads(cli("status", "--json").out)["sources"]
    assert [s["last_change"] for s in states] == ["2025-03-01T12:00:00+00:00"]
    march = tmp_path / "march.html"
    assert (
        cli("digest", "--since", "2025-02-25", "--until", "2025-03-05", "-o", str(march)).code == 0
    )
    this_week = tmp_path / "week.html"
    assert cli("digest", "-o", str(this_week)).code == 0
    assert "Sharing" in march.read_text(encoding="utf-8")  # the section that changed
    assert "Sharing" not in this_week.read_text(encoding="utf-8")


def test_help_on_every_command(cli: Cli) -> None:
    commands = [
        "init",
        "check",
        "list",
        "status",
        "history",
        "show",
        "sections",
        "import",
        "compare",
        "diff",
        "report",
        "demo",
    ]
    for command in commands:
        result = cli(command, "--help")
        assert result.code == 0 and "Usage: watcher" in result.out, command


def test_check_many_sources_normalises_in_worker_processes(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    """Enough sources to use the worker pool: outcomes arrive for all, in any order."""
    ids = [f"s{i}" for i in range(10)]
    base = page("acme_v1.html")
    for i, sid in enumerate(ids):
        server.page(f"/{sid}", base.replace("Acme Widgets Limited", f"Acme Widgets {i} Limited"))
    configure(tmp_path, server, {sid: f"/{sid}" for sid in ids})
    code, rows = check_json(cli)
    assert code == 0 and {r["status"] for r in rows.values()} == {"first"} and len(rows) == 10
    server.page("/s3", page("acme_v2.html"))
    server.page("/s7", page("challenge.html"))
    code, rows = check_json(cli)
    assert code == 1
    statuses = {sid: row["status"] for sid, row in rows.items()}
    assert statuses.pop("s3") == "changed" and statuses.pop("s7") == "rejected"
    assert set(statuses.values()) == {"unchanged"}
    store = Store.open(tmp_path / "snapshots")
    assert store.count("versions") == 11 and store.integrity_problems() == []
    store.close()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: never any workers")
def test_a_check_starts_worker_processes_only_when_it_will_probably_read_pages(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    """Ten sources. The first check reads every page, in worker processes; the next
    finds the same bytes and starts none. Pages whose bytes then change at every
    fetch are read in this process once (their bytes had not changed before), and
    in worker processes from the check after."""
    ids = [f"s{i}" for i in range(10)]
    base = page("acme_v1.html")

    def serve(nonce: str) -> None:
        for i, sid in enumerate(ids):
            body = base.replace("Acme Widgets Limited", f"Acme Widgets {i} Limited")
            server.page(f"/{sid}", body.replace("</body>", f"<!-- {nonce} --></body>"))

    def check_with_workers() -> tuple[set[object], bool]:
        result = cli("check", "--json", env={"PYTHONPROFILEIMPORTTIME": "1"})
        names = {line.rsplit("|", 1)[-1].strip() for line in result.err.splitlines()}
        statuses = {json.loads(line)["status"] for line in result.out.splitlines()}
        return statuses, "concurrent.futures.process" in names

    serve("a")
    configure(tmp_path, server, {sid: f"/{sid}" for sid in ids})
    assert check_with_workers() == ({"first"}, True)
    assert check_with_workers() == ({"unchanged"}, False)
    serve("b")
    assert check_with_workers() == ({"unchanged"}, False)
    serve("c")
    assert check_with_workers() == ({"unchanged"}, True)


def test_a_check_that_finds_nothing_new_never_loads_the_normaliser(
    cli: Cli, tmp_path: Path, server: LoopbackServer
) -> None:
    """A page whose bytes hash as before is not read again, so the process that fetches
    and records loads no HTML parser, rules, outline or noise settling, and reads and
    writes the store without sqlite-utils: its start-up is every unchanged check's
    cost. A change loads them."""
    server.page("/privacy", page("acme_v1.html"))
    configure(tmp_path, server, {"acme": "/privacy"})
    assert check_json(cli)[1]["acme"]["status"] == "first"
    heavy = (
        "lxml.etree",
        "watcher.normalise",
        "watcher.sections",
        "watcher.volatile",
        "watcher.feed",
        "sqlite_utils",
    )

    def check_loading() -> tuple[object, list[str]]:
        result = cli("check", "--json", env={"PYTHONPROFILEIMPORTTIME": "1"})
        names = {line.rsplit("|", 1)[-1].strip() for line in result.err.splitlines()}
        return json.loads(result.out)["status"], [name for name in heavy if name in names]

    assert check_loading() == ("unchanged", [])
    server.page("/privacy", page("acme_v2.html"))
    assert check_loading() == ("changed", list(heavy))


def test_import_each_folder_as_its_own_source(cli: Cli, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    for folder, pages in {
        "Acme-Privacy": ["acme_v1.html", "acme_v2.html"],
        "Bluebird Terms": ["plain_policy.txt"],
        "Café.com Terms": ["plain_policy.txt"],
    }.items():
        (archive / folder).mkdir(parents=True)
        for i, name in enumerate(pages):
            suffix = Path(name).suffix
            (archive / folder / f"2025010{i + 1}T000000{suffix}").write_bytes(
                (PAGES / name).read_bytes()
            )
    folders = [str(archive / name) for name in ("Acme-Privacy", "Bluebird Terms", "Café.com Terms")]
    result = cli("import", "--each", *folders, "--json")
    assert result.code == 0, result.err
    assert [json.loads(line)["status"] for line in result.out.splitlines()] == [
        "first",
        "changed",
        "first",
        "first",
    ]
    store = Store.open(tmp_path / "snapshots")
    assert store.source_ids() == ["acme-privacy", "bluebird-terms", "cafe-com-terms"]
    assert store.source_row("bluebird-terms")["name"] == "Bluebird Terms"  # type: ignore[index]
    assert store.source_row("cafe-com-terms")["name"] == "Café.com Terms"  # type: ignore[index]
    store.close()
    (archive / "Bluebird.Terms").mkdir()
    clash = cli("import", "--each", folders[1], str(archive / "Bluebird.Terms"))
    assert clash.code == 2 and "'bluebird-terms' is also" in clash.err, clash.err
    bad = cli("import", "--each", str(archive / "Acme-Privacy" / "20250101T000000.html"))
    assert bad.code == 2 and "not a folder" in bad.err
    (archive / "Dove Terms").mkdir()
    empty = cli("import", "--each", folders[1], str(archive / "Dove Terms"))
    assert empty.code == 2 and f"no files to import in {archive / 'Dove Terms'}" in empty.err


# ---------------------------------------------------------------- bad values, a store with versions


def store_with_beta(cli: Cli, tmp_path: Path) -> None:
    """A store where source ``beta`` has two imported versions, and a sources file."""
    for stamp, name in [("20250101T000000", "acme_v1.html"), ("20250201T000000", "acme_v2.html")]:
        (tmp_path / f"p-{stamp}.html").write_bytes((PAGES / name).read_bytes())
    result = cli("import", "beta", "p-20250101T000000.html", "p-20250201T000000.html")
    assert result.code == 0, result.err
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and modification time."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def assert_refused(cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    """Exit 2, one ``watcher: error:`` line holding ``message``, and nothing written."""
    before = tree(tmp_path)
    result = cli(*args)
    lines = result.err.strip().splitlines()
    assert result.code == 2 and len(lines) == 1, result.err
    assert lines[0].startswith("watcher: error: ") and message in lines[0], lines[0]
    assert tree(tmp_path) == before


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("diff", "beta", "2026-11-24T99:00"),
            "'2026-11-24T99:00' is neither a version id nor a date",
            id="diff-hour-99",
        ),
        pytest.param(
            ("show", "beta", "2026-11-24T99:00"),
            "'2026-11-24T99:00' is neither a version id nor a date",
            id="show-hour-99",
        ),
        pytest.param(
            ("show", "beta", "0001-01-01T00:00+05:00"),
            "'0001-01-01T00:00+05:00' is neither a version id nor a date",
            id="show-before-year-1-in-utc",
        ),
        pytest.param(
            ("show", "beta", "²"),
            "'²' is neither a version id nor a date",
            id="show-superscript-two",
        ),
        pytest.param(
            ("diff", "beta", HUGE + "99"),
            f"source 'beta' has no version {HUGE}99",
            id="diff-huge-id",
        ),
        pytest.param(
            ("show", "beta", HUGE + "99"),
            f"source 'beta' has no version {HUGE}99",
            id="show-huge-id",
        ),
        pytest.param(
            ("history", "beta", "--limit", HUGE),
            f"--limit: {HUGE} is out of range (1 to 9223372036854775807)",
            id="history-huge-limit",
        ),
        pytest.param(
            ("history", "beta", "--limit", "0"), "--limit: 0 is out of range", id="limit-0"
        ),
        pytest.param(
            ("history", "beta", "--limit", "9" * 5000),
            f"--limit: {'9' * 5000} is out of range",
            id="limit-5000-digits",
        ),
        pytest.param(
            ("history", "beta", "--limit", "ten"),
            "--limit: 'ten' is not a whole number",
            id="limit-not-a-number",
        ),
        pytest.param(("report", HUGE), f"CHANGE: {HUGE} is out of range", id="report-huge-id"),
        pytest.param(
            ("outbox", "--retry", HUGE), f"--retry: {HUGE} is out of range", id="outbox-huge-retry"
        ),
        pytest.param(
            ("outbox", "--limit", HUGE), f"--limit: {HUGE} is out of range", id="outbox-huge-limit"
        ),
        pytest.param(
            ("prune", "--older-than", "999999", "--dry-run"),
            "--older-than: 999999 days ago is before the year 1",
            id="prune-before-year-1",
        ),
        pytest.param(
            ("digest", "--since", "99999999d"),
            "--since '99999999d' is out of range (years 1 to 9999)",
            id="digest-since-before-year-1",
        ),
        pytest.param(
            ("digest", "--until", "9999-12-31"),
            "--until '9999-12-31' is out of range (years 1 to 9999)",
            id="digest-until-after-year-9999",
        ),
    ],
)
def test_values_out_of_range_are_one_line_errors(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    store_with_beta(cli, tmp_path)
    assert_refused(cli, tmp_path, args, message)


@pytest.mark.parametrize(
    ("command", "ref"),
    [
        ("show", "2026-13-45"),
        ("diff", "2026-13-45"),
        ("show", "2026-02-30"),
        ("diff", "2026-02-30"),
        ("show", "2026-00-10"),
        ("show", "0000-01-01"),
    ],
    ids=lambda value: str(value),
)
def test_an_impossible_date_is_not_a_version(
    cli: Cli, tmp_path: Path, command: str, ref: str
) -> None:
    store_with_beta(cli, tmp_path)
    assert_refused(
        cli, tmp_path, (command, "beta", ref), f"'{ref}' is neither a version id nor a date"
    )


OUTPUT_COMMANDS = {
    "diff": ("diff", "beta"),
    "compare": ("compare", "p-20250101T000000.html", "p-20250201T000000.html"),
    "digest": ("digest",),
}
OUTPUTS = {
    "folder-not-there": ("/proc/x.txt", "/proc/x.txt: cannot write: No such file or directory"),
    "file-in-the-way": (
        "p-20250101T000000.html/x.txt",
        "p-20250101T000000.html/x.txt: cannot write: p-20250101T000000.html is not a folder",
    ),
}


@pytest.mark.parametrize("target", list(OUTPUTS))
@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_an_output_that_cannot_be_written_is_named(
    cli: Cli, tmp_path: Path, command: str, target: str
) -> None:
    """The error names the path given, not the temporary file written first, and no
    temporary file is left behind."""
    store_with_beta(cli, tmp_path)
    (tmp_path / "out").mkdir()
    output, message = OUTPUTS[target]
    assert_refused(cli, tmp_path, (*OUTPUT_COMMANDS[command], "-o", output), message)


@pytest.mark.parametrize("output", ["out", "out/", "newdir/"])
@pytest.mark.parametrize("command", ["diff", "compare"])
def test_an_output_naming_a_folder_is_refused(
    cli: Cli, tmp_path: Path, command: str, output: str
) -> None:
    """A folder, existing or not yet made, is not written as a file of that name."""
    store_with_beta(cli, tmp_path)
    (tmp_path / "out").mkdir()
    message = f"--output: {output} is a folder; give a file name"
    assert_refused(cli, tmp_path, (*OUTPUT_COMMANDS[command], "-o", output), message)


@pytest.mark.parametrize("output", ["out", "out/", "newdir/"])
def test_a_digest_written_to_a_folder_takes_its_usual_name(
    cli: Cli, tmp_path: Path, output: str
) -> None:
    store_with_beta(cli, tmp_path)
    (tmp_path / "out").mkdir()
    result = cli("digest", "--until", "2025-02-02", "-o", output)
    assert result.code == 0, result.err
    written = tmp_path / output / "digest-2025-W05.html"
    assert result.out.strip() == str(Path(output) / "digest-2025-W05.html")
    assert "<html" in written.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("prune",), "Missing option '--older-than' (see 'watcher prune --help')"),
        pytest.param(("import",), "Missing argument 'SOURCE' (see 'watcher import --help')"),
        pytest.param(("diff", "--bogus"), "No such option '--bogus' (see 'watcher diff --help')"),
        pytest.param(("nosuch",), "No such command 'nosuch' (see 'watcher --help')"),
        pytest.param(
            ("compare", "a", "b", "--format", "pdf"),
            "'pdf' is not one of 'text', 'markdown', 'html', 'json'",
        ),
    ],
    ids=["missing-option", "missing-argument", "unknown-option", "unknown-command", "bad-choice"],
)
def test_usage_errors_are_one_line(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    assert_refused(cli, tmp_path, args, message)


def test_no_command_prints_the_help(cli: Cli) -> None:
    result = cli()
    assert result.code == 2 and "Commands:" in result.err and "history" in result.err


def test_a_configured_source_not_yet_checked_says_so(cli: Cli, tmp_path: Path) -> None:
    store_with_beta(cli, tmp_path)
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - {id: gamma, name: Gamma, url: 'http://127.0.0.1:9/'}\n", encoding="utf-8"
    )
    for command in ("history", "show", "diff"):
        message = "source 'gamma' has not been checked yet (run 'watcher check gamma')"
        assert_refused(cli, tmp_path, (command, "gamma"), message)
    assert_refused(cli, tmp_path, ("history", "delta"), "no source 'delta' in the store")


def test_list_marks_a_shortened_name(cli: Cli, tmp_path: Path) -> None:
    name = "Acme Worldwide Holdings Privacy and Cookie Statement"
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{id: acme, name: '{name}', url: 'http://127.0.0.1:9/'}}\n",
        encoding="utf-8",
    )
    result = cli("list")
    assert result.code == 0, result.err
    assert "Acme Worldwide Holdings Privacy and Coo…" in result.out
    assert name not in result.out


ACCEPTED = "(accepted: .html, .htm, .xhtml, .txt, .md, .markdown, .pdf)"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(
            ("j/data-20250301T000000.json",),
            f"j/data-20250301T000000.json: cannot import a .json file {ACCEPTED}",
            id="named-json-file",
        ),
        pytest.param(
            ("j/p-20250301T000000",),
            "j/p-20250301T000000: cannot import a file without an extension",
            id="named-file-without-extension",
        ),
        pytest.param(("empty",), f"no files to import in empty {ACCEPTED}", id="empty-folder"),
        pytest.param(
            ("empty", "j"),
            f"no files to import in empty, j {ACCEPTED}",
            id="folders-of-no-captures",
        ),
    ],
)
def test_import_refuses_what_is_not_a_capture(
    cli: Cli, tmp_path: Path, files: tuple[str, ...], message: str
) -> None:
    store_with_beta(cli, tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "data-20250301T000000.json").write_text("{}\n")
    (tmp_path / "j" / "p-20250301T000000").write_bytes((PAGES / "acme_v2.html").read_bytes())
    assert_refused(cli, tmp_path, ("import", "beta", *files), message)


def test_import_help_gives_the_stamps_it_reads(cli: Cli) -> None:
    assert "YYYYMMDD[T]hhmmss" in " ".join(cli("import", "--help").out.split())


def in_two_days() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


@pytest.mark.parametrize(
    ("name", "captured"),
    [
        pytest.param("p-30000101T000000.html", datetime(3000, 1, 1, tzinfo=UTC), id="year-3000"),
        pytest.param(None, in_two_days(), id="in-two-days"),
        pytest.param("no-stamp.html", datetime(2100, 1, 1, tzinfo=UTC), id="modified-in-2100"),
    ],
)
def test_import_refuses_a_capture_time_in_the_future(
    cli: Cli, tmp_path: Path, name: str | None, captured: datetime
) -> None:
    """Nothing is imported, not even the good capture named with it."""
    store_with_beta(cli, tmp_path)
    name = name or f"p-{captured:%Y%m%dT%H%M%S}.html"
    future = tmp_path / name
    future.write_bytes((PAGES / "acme_v1.html").read_bytes())
    os.utime(future, (captured.timestamp(), captured.timestamp()))
    (tmp_path / "p-20250301T000000.html").write_bytes((PAGES / "acme_v1.html").read_bytes())
    message = f"{name}: captured {captured.isoformat()}, more than a day in the future"
    assert_refused(cli, tmp_path, ("import", "beta", "p-20250301T000000.html", name), message)
