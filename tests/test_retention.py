"""Pruning old check records (watcher.retention) on a real store, and `watcher prune`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.config import Source
from watcher.model import Capture
from watcher.pipeline import Pipeline, sync_sources
from watcher.retention import KEEP_LATEST, prune_checks
from watcher.store import Store, iso

from .conftest import CliResult, LoopbackServer, Reply

PAGES = Path(__file__).parent / "fixtures" / "pages"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SOURCES = [Source(id=s, name=f"{s} policy", url=f"https://{s}.example/privacy") for s in "ab"]


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = Store.open(data_dir)
    sync_sources(opened, SOURCES)
    yield opened
    opened.close()


def days_ago(days: float) -> str:
    return iso(NOW - timedelta(days=days))


def add_checks(store: Store, source: str, outcome: str, ages: list[float], **row: object) -> None:
    fields = {"origin": "network", "url": f"https://{source}.example/privacy", **row}
    store.add_fetches(
        [
            {"source_id": source, "started_at": days_ago(age), "outcome": outcome, **fields}
            for age in ages
        ]
    )


def history(store: Store, source: str) -> list[tuple[str, str]]:
    rows = store.db.execute(
        "SELECT outcome, origin FROM fetches WHERE source_id = ? ORDER BY id", [source]
    )
    return [(outcome, origin) for outcome, origin in rows.fetchall()]


def test_old_routine_checks_go_and_what_decisions_rest_on_stays(store: Store) -> None:
    pipeline = Pipeline(store)
    body = (PAGES / "acme_v1.html").read_bytes()
    for source in SOURCES:
        first = Capture(body, NOW - timedelta(days=100), content_type="text/html")
        assert pipeline.process(source, first).status == "first"
    store.db.execute("UPDATE fetches SET started_at = ?", [days_ago(100)])
    add_checks(store, "a", "unchanged", [99 - n for n in range(20)], etag='"e1"')
    add_checks(store, "a", "unchanged", [60, 59], origin="import")
    add_checks(store, "a", "failed", [50 - n for n in range(12)], error="HTTP 503")
    add_checks(store, "a", "failed", [1], error="HTTP 503")
    add_checks(store, "b", "unchanged", [90, 80], etag='"b1"')
    before = store.count("fetches")

    counted = prune_checks(store, NOW - timedelta(days=30), dry_run=True)
    assert (counted.records, store.count("fetches")) == (22, before), "a dry run deletes nothing"
    pruned = prune_checks(store, NOW - timedelta(days=30))
    assert (pruned.records, pruned.kept) == (22, before - 22)

    assert history(store, "a") == [
        ("first", "network"),  # made version 1
        ("unchanged", "network"),  # the latest accepted check: its ETag and hash
        ("unchanged", "import"),
        ("unchanged", "import"),
        *[("failed", "network")] * KEEP_LATEST,  # the latest checks, that incidents count
    ]
    assert history(store, "b") == [("first", "network"), *[("unchanged", "network")] * 2]
    validators = pipeline.validators(SOURCES[0])
    assert validators is not None and validators.etag == '"e1"'
    assert store.count("versions") == 2 and store.count("blobs") == 1


def test_prune_command_keeps_conditional_checks_working(
    cli: Callable[..., CliResult], tmp_path: Path, server: LoopbackServer
) -> None:
    body = (PAGES / "acme_v1.html").read_text(encoding="utf-8")

    def conditional(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(status=304, content_type=None)
        return Reply(body=body, headers={"ETag": '"v1"'})

    server.set("/privacy", conditional)
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{id: acme, name: Acme, url: '{server.url('/privacy')}'}}\n"
    )
    for _ in range(3):  # first, then two 304s
        assert cli("check").code == 0
    store = Store.open(tmp_path / "snapshots")
    try:
        store.db.execute("UPDATE fetches SET started_at = ?", [days_ago(400)])
        add_checks(store, "acme", "failed", [300] * KEEP_LATEST, error="timed out")
    finally:
        store.close()

    dry = cli("prune", "--older-than", "30", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    assert json.loads(dry.out) | {"before": None} == {
        "before": None, "deleted": 1, "kept": 2 + KEEP_LATEST, "dry_run": True,
    }  # fmt: skip
    done = cli("prune", "--older-than", "30")
    assert done.code == 0 and done.out.startswith("deleted 1 check record(s) from before "), done
    assert done.out.rstrip().endswith(f"{2 + KEEP_LATEST} kept")

    again = json.loads(cli("check", "--json").out)
    assert (again["status"], again["reason"]) == ("unchanged", "not modified (304)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--older-than", "0"), "watcher: error: --older-than: 0 is out of range"),
        (("--older-than", "soon"), "watcher: error: --older-than: 'soon' is not a whole number"),
        ((), "Missing option '--older-than'"),
    ],
    ids=["zero-days", "not-a-number", "missing"],
)
def test_prune_refuses_bad_input(
    cli: Callable[..., CliResult], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "snapshots").mkdir()
    result = cli("prune", *args)
    assert result.code == 2 and message in result.err
    assert list((tmp_path / "snapshots").iterdir()) == [], "nothing written"


def test_prune_without_a_store_names_the_directory(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    result = cli("prune", "--older-than", "30")
    assert result.code == 2 and "snapshots" in result.err
    assert len(result.err.strip().splitlines()) == 1
