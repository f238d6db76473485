"""Atom feeds: written after each change, valid Atom, stable ids, links that resolve."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher import feed
from watcher.cli import App
from watcher.config import load
from watcher.model import Capture
from watcher.pipeline import Pipeline, sync_sources
from watcher.store import Store

PAGES = Path(__file__).parent / "fixtures" / "pages"
A = "{http://www.w3.org/2005/Atom}"
NAME = "Acme <Widgets> & Co"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def write_config(tmp_path: Path, alerts: str = "{}") -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"settings:\n  alerts: {alerts}\nsources:\n"
        f"  - {{id: acme, name: '{NAME}', url: 'https://acme.example/privacy'}}\n"
        "  - {id: beta, name: Beta Terms, url: 'https://beta.example/terms'}\n",
        encoding="utf-8",
    )
    return path


def capture(name: str, hours: int) -> Capture:
    return Capture(
        body=(PAGES / name).read_bytes(),
        captured_at=T0 + timedelta(hours=hours),
        content_type="text/html; charset=utf-8",
    )


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Store, Pipeline, Path]]:
    reports = tmp_path / "reports"
    config_path = write_config(tmp_path)
    store = Store.open(tmp_path / "snapshots")
    pipeline: Pipeline = App(config_path, store.data_dir, reports, color=False).pipeline(store)
    sync_sources(store, load(config_path).sources)
    try:
        yield store, pipeline, reports
    finally:
        store.close()


def parse(path: Path) -> ET.Element:
    root = ET.fromstring(path.read_bytes())
    assert root.tag == f"{A}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{A}{required}") is not None, required
    return root


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{A}entry")


def test_feeds_follow_changes_with_stable_ids_and_working_links(
    setup: tuple[Store, Pipeline, Path],
) -> None:
    store, pipeline, reports = setup
    config = load(reports.parent / "sources.yaml")
    acme, beta = config.source("acme"), config.source("beta")
    assert not (reports / "feed.xml").exists()
    pipeline.process(acme, capture("acme_v1.html", 0))
    pipeline.process(beta, capture("acme_v1.html", 0))
    assert pipeline.process(acme, capture("acme_v2.html", 1)).status == "changed"
    first = parse(reports / "feed.xml")
    [only] = entries(first)
    first_id = only.findtext(f"{A}id")
    assert first_id and first_id.startswith("urn:uuid:")
    assert only.findtext(f"{A}title") == f"{NAME}: 3 sections changed (substantive)"
    assert only.find(f"{A}category").get("term") == "substantive"  # type: ignore[union-attr]
    assert "advertising" in (only.findtext(f"{A}content") or "")

    assert pipeline.process(beta, capture("acme_v2.html", 2)).status == "changed"
    assert pipeline.process(acme, capture("acme_v1.html", 3)).status == "changed"
    everything = parse(reports / "feed.xml")
    titles = [e.findtext(f"{A}title") or "" for e in entries(everything)]
    assert [t.split(":")[0] for t in titles] == [NAME, "Beta Terms", NAME], "newest first"
    assert entries(everything)[-1].findtext(f"{A}id") == first_id, "ids never change"

    per_source = parse(reports / "acme" / "feed.xml")
    assert per_source.findtext(f"{A}title") == f"Policy changes: {NAME}"
    assert len(entries(per_source)) == 2
    for root, folder in ((everything, reports), (per_source, reports / "acme")):
        for entry in entries(root):
            link = entry.find(f"{A}link[@rel='alternate']")
            assert link is not None and (folder / link.get("href", "")).is_file()
    ids = {e.findtext(f"{A}id") for e in entries(everything)}
    assert len(ids) == 3

    before = (reports / "feed.xml").read_bytes()
    feed.write_feeds(store, reports, config)
    assert entries(parse(reports / "feed.xml"))[-1].findtext(f"{A}id") == first_id
    assert len((reports / "feed.xml").read_bytes()) == len(before)


def test_report_url_makes_absolute_links_and_the_feed_is_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path = write_config(tmp_path, "{report_url: 'https://policies.example.org/r/'}")
    reports = tmp_path / "reports"
    store = Store.open(tmp_path / "snapshots")
    try:
        pipeline: Pipeline = App(config_path, store.data_dir, reports, color=False).pipeline(store)
        config = load(config_path)
        sync_sources(store, config.sources)
        acme = config.source("acme")
        for hours, name in enumerate(("acme_v1.html", "acme_v2.html", "acme_v1.html")):
            pipeline.process(acme, capture(name, hours))
        monkeypatch.setattr(feed, "FEED_SIZE", 1)
        feed.write_feeds(store, reports, config, "acme")
    finally:
        store.close()
    [entry] = entries(parse(reports / "acme" / "feed.xml"))
    href = entry.find(f"{A}link[@rel='alternate']").get("href")  # type: ignore[union-attr]
    assert href == "https://policies.example.org/r/acme/2025-03-01-change-2.html"


def test_two_stores_never_share_entry_ids(tmp_path: Path) -> None:
    first, second = (Store.open(tmp_path / name) for name in ("one", "two"))
    try:
        ids = {feed.entry_id(feed.store_uuid(s), 1) for s in (first, second)}
        assert len(ids) == 2
        assert feed.entry_id(feed.store_uuid(first), 1) == feed.entry_id(feed.store_uuid(first), 1)
    finally:
        first.close()
        second.close()


def test_links_work_through_a_relative_and_symlinked_reports_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real-reports").mkdir()
    (tmp_path / "reports").symlink_to(tmp_path / "real-reports")
    monkeypatch.chdir(tmp_path)
    config_path = write_config(tmp_path)
    reports = Path("reports")
    store = Store.open(tmp_path / "snapshots")
    try:
        pipeline: Pipeline = App(config_path, store.data_dir, reports, color=False).pipeline(store)
        config = load(config_path)
        sync_sources(store, config.sources)
        for hours, name in enumerate(("acme_v1.html", "acme_v2.html", "acme_v1.html")):
            pipeline.process(config.source("acme"), capture(name, hours))
    finally:
        store.close()
    for folder in (reports, reports / "acme"):
        found = entries(parse(folder / "feed.xml"))
        assert len(found) == 2
        for entry in found:
            href = entry.find(f"{A}link[@rel='alternate']").get("href", "")  # type: ignore[union-attr]
            assert not href.startswith("/") and (folder / href).is_file(), href
