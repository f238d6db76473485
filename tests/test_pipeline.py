"""The one pipeline, through its library API: what becomes a version and what does not."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.analysis import analyse, fingerprint, raw_digest, rules_hash
from watcher.batch import capture_time, check, import_files
from watcher.config import Settings, Source
from watcher.errors import InputError
from watcher.fetch import make_client
from watcher.model import Capture, FetchResult
from watcher.normalise import Rules
from watcher.pipeline import Outcome, Pipeline, sync_sources
from watcher.store import Store, iso, sha256

from .conftest import CountedPage, LoopbackServer, Reply

PAGES = Path(__file__).parent / "fixtures" / "pages"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SOURCE = Source(id="acme", name="Acme Privacy Notice", url="https://acme.example/privacy")


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = Store.open(data_dir)
    sync_sources(opened, [SOURCE])
    yield opened
    opened.close()


@pytest.fixture
def pipeline(store: Store) -> Pipeline:
    return Pipeline(store)


def capture(name: str | bytes, minutes: int = 0) -> Capture:
    body = name if isinstance(name, bytes) else (PAGES / name).read_bytes()
    return Capture(
        body=body,
        captured_at=T0 + timedelta(minutes=minutes),
        url=SOURCE.url,
        content_type="text/html; charset=utf-8",
    )


def test_first_unchanged_changed(pipeline: Pipeline, store: Store) -> None:
    first = pipeline.process(SOURCE, capture("acme_v1.html"))
    assert (first.status, first.version_id, first.change_id) == ("first", 1, None)
    same = pipeline.process(SOURCE, capture("acme_v1_noisy.html", 60))
    assert (same.status, same.version_id) == ("unchanged", 1)
    changed = pipeline.process(SOURCE, capture("acme_v2.html", 120))
    assert (changed.status, changed.version_id, changed.change_id) == ("changed", 2, 1)
    assert changed.headline and "substantive" in changed.headline
    change = store.change(1)
    assert (change["old_version_id"], change["new_version_id"]) == (1, 2)
    assert change["classification"] == "substantive"
    assert json.loads(change["summary"])
    assert store.count("versions") == 2 and store.count("fetches") == 3
    assert store.integrity_problems() == []


def test_identical_bytes_are_unchanged_without_parsing(pipeline: Pipeline, store: Store) -> None:
    pipeline.process(SOURCE, capture("acme_v1.html"))
    again = pipeline.process(SOURCE, capture("acme_v1.html", 5))
    assert again.status == "unchanged"
    row = store.last_fetch("acme")
    assert row is not None
    assert row["raw_sha256"] == sha256((PAGES / "acme_v1.html").read_bytes())
    assert row["content_sha256"] is None  # no text was computed: the bytes were enough


def test_the_same_bytes_are_told_by_their_fingerprint_without_sha256(
    pipeline: Pipeline, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bytes again are neither parsed nor hashed with SHA-256: their XXH3-128
    fingerprint matches the last capture's, whose SHA-256 the new row repeats. Rows
    written before fingerprints were kept are compared by SHA-256."""
    body = (PAGES / "acme_v1.html").read_bytes()
    pipeline.process(SOURCE, capture(body))

    def no_sha256(_: bytes) -> str:
        raise AssertionError("SHA-256 computed for bytes seen before")

    with monkeypatch.context() as patched:
        patched.setattr("watcher.pipeline.raw_digest", no_sha256)
        patched.setattr("watcher.analysis.raw_digest", no_sha256)
        fetched = FetchResult("acme", SOURCE.url, "ok", capture(body, 5), ())
        again = pipeline.record_without_reading(SOURCE, fetched)
        assert again is not None and again.status == "unchanged"
        processed = pipeline.process(SOURCE, capture(body, 6))
        assert processed.status == "unchanged"
    row = store.last_fetch("acme")
    assert row is not None and row["raw_sha256"] == sha256(body)
    assert row["raw_xxh3"] == fingerprint(body) and row["content_sha256"] is None
    store.db.execute("UPDATE fetches SET raw_xxh3 = NULL")
    older = pipeline.process(SOURCE, capture(body, 10))
    assert older.status == "unchanged"
    assert store.last_fetch("acme")["content_sha256"] is None  # type: ignore[index]
    other = pipeline.process(SOURCE, capture("acme_v1_noisy.html", 15))
    assert other.status == "unchanged"
    assert store.last_fetch("acme")["content_sha256"] is not None  # read: new bytes


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ("challenge.html", "challenge page"),
        ("login.html", "challenge page"),
        ("notfound.html", "challenge page"),
        (b"<html><body></body></html>", "empty page"),
        (b"<html><body><p>Coming soon.</p></body></html>", "near-empty page (2 words)"),
        (
            b'<html><body><div id="app"></div><script src="/js/app.js"></script></body></html>',
            "empty page (no text); it loads scripts: its text is probably built by JavaScript",
        ),
        (b"\x00\x01binary\x00", "binary file"),
    ],
    ids=["challenge", "login", "not-found", "empty", "near-empty", "app-shell", "binary"],
)
def test_broken_captures_are_rejected_and_never_a_version(
    pipeline: Pipeline, store: Store, page: str | bytes, reason: str
) -> None:
    pipeline.process(SOURCE, capture("acme_v1.html"))
    outcome = pipeline.process(SOURCE, capture(page, 10))
    assert outcome.status == "rejected"
    assert reason in (outcome.reason or "")
    assert store.count("versions") == 1 and store.count("changes") == 0
    row = store.last_fetch("acme")
    assert row is not None and row["outcome"] == "rejected" and reason in row["reason"]


def test_broken_first_capture_is_rejected_too(pipeline: Pipeline, store: Store) -> None:
    outcome = pipeline.process(SOURCE, capture("challenge.html"))
    assert outcome.status == "rejected"
    assert store.count("versions") == 0


def test_the_same_broken_bytes_are_judged_once(pipeline: Pipeline, store: Store) -> None:
    """A page that keeps serving the same broken bytes (an app shell, a login wall) is
    rejected again for the same reason without being parsed again; new rules or new
    bytes are judged anew."""
    shell = b'<html><body><div id="app"></div><script src="/app.js"></script></body></html>'
    first = pipeline.process(SOURCE, capture(shell))
    again = FetchResult("acme", SOURCE.url, "ok", capture(shell, 10), ())
    second = pipeline.record_without_reading(SOURCE, again)
    assert second is not None and (first.status, second.status) == ("rejected", "rejected")
    assert second.reason == first.reason and "JavaScript" in (second.reason or "")
    rows = store.recent_fetches("acme", 2)
    assert [r["content_sha256"] for r in rows] == [rows[1]["content_sha256"]] * 2
    assert [r["rules_hash"] for r in rows] == [rows[1]["rules_hash"]] * 2
    other_rules = dataclasses.replace(SOURCE, remove=("script",))
    assert pipeline.record_without_reading(other_rules, again) is None
    other_bytes = FetchResult("acme", SOURCE.url, "ok", capture(shell + b" ", 20), ())
    assert pipeline.record_without_reading(SOURCE, other_bytes) is None
    assert store.count("fetches") == 2  # nothing recorded for what must be read


def _shrunk() -> bytes:
    html = (PAGES / "acme_v1.html").read_text()
    start, end = html.index("<h2>2. Data"), html.index("<h2>6. Contact")
    return (html[:start] + html[end:]).encode()


def test_sudden_shrink_is_rejected_until_seen_three_times(pipeline: Pipeline) -> None:
    big = (
        (PAGES / "acme_v1.html")
        .read_text()
        .replace(
            "</main>",
            "".join(f"<p>Extra clause {i} about data handling here.</p>" for i in range(30))
            + "</main>",
        )
    )
    pipeline.process(SOURCE, capture(big.encode()))
    statuses = [pipeline.process(SOURCE, capture(_shrunk(), m)).status for m in (10, 20, 30)]
    assert statuses == ["rejected", "rejected", "changed"]


def test_rejection_in_between_does_not_hide_a_change(pipeline: Pipeline) -> None:
    pipeline.process(SOURCE, capture("acme_v1.html"))
    assert pipeline.process(SOURCE, capture("challenge.html", 10)).status == "rejected"
    assert pipeline.process(SOURCE, capture("acme_v2.html", 20)).status == "changed"


def test_a_normaliser_upgrade_is_not_a_policy_change(pipeline: Pipeline, store: Store) -> None:
    """A version stored by an older normaliser is re-read from its raw capture."""
    body = (PAGES / "acme_v1.html").read_bytes()
    with store.transaction() as db:
        store.put_blob(db, body, sha256(body))
        db.table("versions").insert(
            {
                "source_id": "acme",
                "captured_at": iso(T0),
                "content_sha256": sha256("old form"),
                "raw_sha256": sha256(body),
                "title": "x",
                "text": "old form",
                "outline": json.dumps({"title": "x", "sections": []}),
                "words": 2,
                "normaliser": 0,
                "rules_hash": "older-normaliser",
            }
        )
    outcome = pipeline.process(SOURCE, capture("acme_v1_noisy.html", 10))
    assert outcome.status == "unchanged"
    assert rules_hash(SOURCE) != "older-normaliser"
    # The re-read is remembered: the same bytes are not parsed again, and other bytes
    # with the same text need neither a parse of the old capture nor the capture itself.
    again = pipeline.process(SOURCE, capture("acme_v1_noisy.html", 20))
    assert again.status == "unchanged"
    assert store.last_fetch("acme")["content_sha256"] is None  # type: ignore[index]
    store.db.execute("DELETE FROM blobs")
    other = pipeline.process(SOURCE, capture("acme_v1.html", 30))
    assert (other.status, other.version_id) == ("unchanged", 1)


def test_capture_time_from_name_or_mtime(tmp_path: Path) -> None:
    stamped = tmp_path / "0003_20250817T223055.html"
    stamped.write_text("x")
    assert capture_time(stamped) == datetime(2025, 8, 17, 22, 30, 55, tzinfo=UTC)
    compact = tmp_path / "web-20240102030405-policy.html"
    compact.write_text("x")
    assert capture_time(compact) == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    plain = tmp_path / "policy.html"
    plain.write_text("x")
    assert abs(capture_time(plain).timestamp() - plain.stat().st_mtime) < 1


def _archive(tmp_path: Path) -> list[Path]:
    files = {
        "0001_20250101T000000.html": "acme_v1.html",
        "0002_20250201T000000.html": "acme_v1_noisy.html",
        "0003_20250301T000000.html": "challenge.html",
        "0004_20250401T000000.html": "acme_v2.html",
    }
    for name, page in files.items():
        (tmp_path / name).write_bytes((PAGES / page).read_bytes())
    # Given newest first on purpose: import sorts by capture time.
    return sorted((tmp_path / n for n in files), reverse=True)


def test_import_records_only_real_changes_and_is_idempotent(
    pipeline: Pipeline, store: Store, tmp_path: Path
) -> None:
    paths = _archive(tmp_path)
    statuses = [o.status for o in import_files(pipeline, SOURCE, paths)]
    assert statuses == ["first", "unchanged", "rejected", "changed"]
    again = [o.status for o in import_files(pipeline, SOURCE, paths)]
    assert again == ["unchanged"] * 4
    assert store.count("versions") == 2 and store.count("changes") == 1
    assert [v["captured_at"][:10] for v in store.versions("acme")] == ["2025-04-01", "2025-01-01"]


def test_import_checks_every_file_before_writing(
    pipeline: Pipeline, store: Store, tmp_path: Path
) -> None:
    paths = _archive(tmp_path)
    bad = tmp_path / "0005_20250501T000000.html"
    bad.write_bytes(b"\x00\x00\x00binary")
    with pytest.raises(InputError, match="binary file"):
        list(import_files(pipeline, SOURCE, [*paths, bad]))
    assert store.count("fetches") == 0 and store.count("versions") == 0


def test_import_refuses_history_older_than_the_latest_version(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    pipeline.process(SOURCE, capture("acme_v1.html"))
    old = tmp_path / "0001_20200101T000000.html"
    old.write_bytes((PAGES / "acme_v2.html").read_bytes())
    with pytest.raises(InputError, match="before the latest version"):
        list(import_files(pipeline, SOURCE, [old]))


def test_change_hooks_run_inside_and_after_the_transaction(
    pipeline: Pipeline, store: Store
) -> None:
    seen: list[str] = []
    pipeline.on_change.append(lambda db, record: seen.append(f"in:{record.change_id}"))
    pipeline.after_change.append(lambda record: seen.append(f"after:{record.change_id}"))
    pipeline.process(SOURCE, capture("acme_v1.html"))
    pipeline.process(SOURCE, capture("acme_v2.html", 10))
    assert seen == ["in:1", "after:1"]


def test_a_failing_hook_rolls_the_change_back(pipeline: Pipeline, store: Store) -> None:
    def boom(db: object, record: object) -> None:
        raise RuntimeError("outbox unavailable")

    pipeline.on_change.append(boom)
    pipeline.process(SOURCE, capture("acme_v1.html"))
    with pytest.raises(RuntimeError):
        pipeline.process(SOURCE, capture("acme_v2.html", 10))
    assert store.count("versions") == 1 and store.count("changes") == 0
    assert store.integrity_problems() == []


def test_a_block_that_keeps_flipping_stops_alerting(pipeline: Pipeline) -> None:
    """An A/B-tested paragraph inside the policy: the first two switches are changes,
    after that its coming and going is noise."""
    base = (PAGES / "acme_v1.html").read_text()
    promo = base.replace(
        "<h2>1. Who we are</h2>",
        "<p>New: try our widget subscription and save ten percent on every order.</p>"
        "<h2>1. Who we are</h2>",
    )
    statuses = [
        pipeline.process(SOURCE, capture(page.encode(), minutes)).status
        for minutes, page in enumerate([base, promo, base, promo, base, promo])
    ]
    assert statuses == ["first", "changed", "changed", "unchanged", "unchanged", "unchanged"]
    last = pipeline.store.last_fetch("acme")
    assert last is not None and last["reason"] == "only volatile blocks changed"


def test_a_view_counter_in_the_policy_is_not_a_change(pipeline: Pipeline) -> None:
    """A help-centre article's counter moves between checks; a revision still shows."""
    base = (PAGES / "acme_v1.html").read_text()
    heading = "<h2>1. Who we are</h2>"

    def page(views: str) -> bytes:
        return base.replace(heading, f"<p>Privacy team · {views} views</p>{heading}").encode()

    revised = page("1,502").replace(b"Who we are", b"Who we are and where we are")
    outcomes = [
        pipeline.process(SOURCE, capture(body, minutes))
        for minutes, body in enumerate([page("1,204"), page("1,377"), revised])
    ]
    assert [o.status for o in outcomes] == ["first", "unchanged", "changed"]
    assert outcomes[1].reason == "only volatile blocks changed"
    assert "where we are" in pipeline.store.version("acme", outcomes[2].version_id).text


def test_parallel_import_decides_exactly_as_inline(tmp_path: Path) -> None:
    """Normalising in worker processes changes nothing about the outcomes."""
    pages = ["acme_v1.html", "acme_v1_noisy.html", "challenge.html", "acme_v2.html"] * 3
    archive = tmp_path / "archive"
    archive.mkdir()
    paths = []
    for i, name in enumerate(pages):
        path = archive / f"{i:04d}_2025{(i % 12) + 1:02d}01T000000.html"
        path.write_bytes((PAGES / name).read_bytes())
        paths.append(path)
    results = {}
    for workers in (0, 2):
        store = Store.open(tmp_path / f"store-{workers}")
        outcomes = list(import_files(Pipeline(store), SOURCE, paths, workers=workers))
        results[workers] = [(o.status, o.version_id, o.change_id, o.reason) for o in outcomes]
        assert store.integrity_problems() == []
        store.close()
    assert results[0] == results[2]
    assert [r[0] for r in results[2]][:4] == ["first", "unchanged", "rejected", "changed"]


def test_parallel_check_records_exactly_as_inline(server: LoopbackServer, tmp_path: Path) -> None:
    """A check that normalises (and compresses first captures) in worker processes
    records the same outcomes and the same raw bytes as one that does it inline."""
    names = ["acme_v1.html", "acme_v2.html", "challenge.html", "acme_v1_noisy.html"] * 2
    sources, bodies = [], {}
    for i, name in enumerate(names):
        body = (PAGES / name).read_bytes().replace(b"</body>", f"<p>Copy {i}.</p></body>".encode())
        server.set(f"/p{i}", Reply(body=body))
        sources.append(Source(id=f"s{i}", name=f"S{i}", url=server.url(f"/p{i}")))
        bodies[f"s{i}"] = body
    settings = Settings()

    async def run(pipeline: Pipeline, workers: int) -> list[tuple[str, str]]:
        async with make_client(settings.fetch) as client:
            outcomes = [o async for o in check(pipeline, sources, client, workers)]
        return sorted((o.source_id, o.status) for o in outcomes)

    results = {}
    for workers in (0, 2):
        store = Store.open(tmp_path / f"store-{workers}")
        results[workers] = asyncio.run(run(Pipeline(store, settings), workers))
        for body in bodies.values():
            assert store.raw(sha256(body)) == body
        codecs = {r["codec"] for r in store.db.query("SELECT codec FROM blobs")}
        assert codecs == {"zstd"}
        assert store.integrity_problems() == []
        store.close()
    assert results[0] == results[2]
    assert sorted({status for _, status in results[2]}) == ["first", "rejected"]


def check_once(
    pipeline: Pipeline,
    source: Source,
    workers: int = 0,
    waits: list[tuple[int, float]] | None = None,
    others: Sequence[Source] = (),
) -> Outcome:
    """Check ``source`` (and ``others``, whose outcomes are dropped); its outcome."""

    def waiting(changes: int, seconds: float) -> None:
        (waits if waits is not None else []).append((changes, seconds))

    async def run() -> list[Outcome]:
        async with make_client(pipeline.settings.fetch) as client:
            checked = check(pipeline, [source, *others], client, workers, waiting)
            return [o async for o in checked]

    outcomes = asyncio.run(run())
    assert len(outcomes) == 1 + len(others)
    (outcome,) = [o for o in outcomes if o.source_id == source.id]
    return outcome


def test_a_304_stands_for_the_fetch_whose_validators_were_sent(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """The row of a 304 copies the fetch that gave the request its validators: a capture
    imported since (which has none) does not make the next check unconditional."""
    body = (PAGES / "acme_v1.html").read_bytes()
    sent: list[str | None] = []

    def conditional(headers: dict[str, str]) -> Reply:
        sent.append(headers.get("if-none-match"))
        if headers.get("if-none-match") == '"v1"':
            return Reply(status=304, content_type=None)
        return Reply(body=body, headers={"ETag": '"v1"'})

    server.set("/privacy", conditional)
    source = Source(id="acme", name="Acme", url=server.url("/privacy"))
    store = Store.open(tmp_path / "store")
    pipeline = Pipeline(store)
    assert check_once(pipeline, source).status == "first"
    archived = Capture(body=body, captured_at=datetime.now(UTC), origin="import", filename="a.html")
    assert pipeline.process(source, archived).status == "unchanged"
    outcomes = [check_once(pipeline, source) for _ in range(2)]
    assert [o.reason for o in outcomes] == ["not modified (304)"] * 2
    assert sent == [None, '"v1"', '"v1"']
    store.close()


def test_one_check_sends_each_source_the_validators_of_its_own_last_capture(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """The validators of every source of a check are read from the store at once: each
    request carries its own source's ETag or Last-Modified, none when its last capture
    had neither or was read under other rules, and a 304 stands for that source's
    version."""
    body = (PAGES / "acme_v1.html").read_bytes()
    given = {
        "etag": {"ETag": '"e1"'},
        "dated": {"Last-Modified": "Mon, 02 Jun 2025 10:00:00 GMT"},
        "bare": {},
        "reruled": {"ETag": '"r1"'},
    }
    sent: dict[str, list[tuple[str | None, str | None]]] = {name: [] for name in given}

    def page(name: str) -> Callable[[dict[str, str]], Reply]:
        def answer(headers: dict[str, str]) -> Reply:
            asked = (headers.get("if-none-match"), headers.get("if-modified-since"))
            sent[name].append(asked)
            return (
                Reply(status=304, content_type=None)
                if any(asked)
                else Reply(body=body, headers=given[name])
            )

        return answer

    for name in given:
        server.set(f"/{name}", page(name))
    sources = [Source(id=n, name=n, url=server.url(f"/{n}")) for n in given]
    store = Store.open(tmp_path / "store")
    pipeline = Pipeline(store)
    first = check_once(pipeline, sources[0], others=sources[1:])
    assert first.status == "first"
    sources[3] = dataclasses.replace(sources[3], remove=("footer",))
    outcome = check_once(pipeline, sources[0], others=sources[1:])
    assert (outcome.reason, outcome.version_id) == ("not modified (304)", first.version_id)
    assert {name: asked[-1] for name, asked in sent.items()} == {
        "etag": ('"e1"', None),
        "dated": (None, "Mon, 02 Jun 2025 10:00:00 GMT"),
        "bare": (None, None),
        "reruled": (None, None),
    }
    rows = {r["source_id"]: r for r in store.db.query("SELECT * FROM fetches ORDER BY id")}
    assert rows["dated"]["reason"] == "not modified (304)"
    assert store.validated_heads(list(given)) == store._validated_heads_one_by_one(list(given))
    store.close()


@pytest.mark.parametrize("workers", [0, 2], ids=["inline", "worker-processes"])
def test_a_change_is_confirmed_by_a_second_fetch_so_counters_are_not_changes(
    server: LoopbackServer, tmp_path: Path, workers: int
) -> None:
    page = CountedPage("acme_v1.html")
    server.set("/privacy", page)
    source = Source(id="acme", name="Acme", url=server.url("/privacy"))
    # Enough other sources for a check to normalise in worker processes, when it may.
    others = [Source(id=f"o{i}", name=f"O{i}", url=server.url(f"/o{i}")) for i in range(5)]
    for other in others:
        server.set(f"/{other.id}", Reply(body=(PAGES / "acme_v2.html").read_bytes()))
    fetch = dataclasses.replace(Settings().fetch, confirm_after=0.2)
    store = Store.open(tmp_path / "store")
    pipeline = Pipeline(store, Settings(fetch=fetch))
    waits: list[tuple[int, float]] = []
    first = check_once(pipeline, source, workers, waits, others)
    assert first.status == "first"
    assert server.hits("/privacy") == 1 and waits == []  # a first capture is not confirmed

    quiet = check_once(pipeline, source, workers, waits, others)
    assert (quiet.status, quiet.version_id) == ("unchanged", first.version_id)
    assert len(waits) == 1 and waits[0][0] == 1 and 0 < waits[0][1] <= 0.2
    assert quiet.reason == "only lines that differ between two fetches changed"
    assert server.hits("/privacy") == 3 and server.hits("/o0") == 2

    page.name = "acme_v2.html"  # a real revision, the counter still going
    changed = check_once(pipeline, source, workers, others=others)
    assert changed.status == "changed" and changed.version_id is not None
    assert server.hits("/privacy") == 5
    assert store.count("versions") == 7 and store.count("changes") == 1
    # The new version keeps the counter as the first had it: the change is the revision.
    counter = "This notice has been read 1,201 times."
    revised = store.version("acme", changed.version_id).text
    assert counter in revised.splitlines() and "advertising partners" in revised
    store.close()


def test_without_confirmation_a_counter_is_a_change(server: LoopbackServer, tmp_path: Path) -> None:
    server.set("/privacy", CountedPage("acme_v1.html"))
    source = Source(id="acme", name="Acme", url=server.url("/privacy"))
    fetch = dataclasses.replace(Settings().fetch, confirm_after=None)
    store = Store.open(tmp_path / "store")
    pipeline = Pipeline(store, Settings(fetch=fetch))
    statuses = [check_once(pipeline, source).status for _ in range(2)]
    assert statuses == ["first", "changed"]
    assert server.hits("/privacy") == 2
    store.close()


def test_a_page_that_goes_back_before_the_second_fetch_records_nothing_new(
    server: LoopbackServer, tmp_path: Path
) -> None:
    """The text changed for one fetch only (a deploy rolled back, a bad cache node)."""
    v1, v2 = ((PAGES / name).read_text() for name in ("acme_v1.html", "acme_v2.html"))
    server.set("/privacy", Reply(body=v1), Reply(body=v2), Reply(body=v1))
    source = Source(id="acme", name="Acme", url=server.url("/privacy"))
    fetch = dataclasses.replace(Settings().fetch, confirm_after=0.0)
    store = Store.open(tmp_path / "store")
    pipeline = Pipeline(store, Settings(fetch=fetch))
    assert [check_once(pipeline, source).status for _ in range(2)] == ["first", "unchanged"]
    assert server.hits("/privacy") == 3
    assert store.count("versions") == 1 and store.count("changes") == 0
    store.close()


def test_imports_and_first_captures_are_never_held_back(pipeline: Pipeline) -> None:
    first = capture("acme_v1.html")
    assert not pipeline.awaits_confirmation(SOURCE, first, analyse(first, Rules(), "x"))
    pipeline.process(SOURCE, first)
    revised = capture("acme_v2.html", 60)
    analysis = analyse(revised, Rules(), "x")
    assert pipeline.awaits_confirmation(SOURCE, revised, analysis)
    imported = dataclasses.replace(revised, origin="import")
    assert not pipeline.awaits_confirmation(SOURCE, imported, analysis)
    noisy = capture("acme_v1_noisy.html", 60)
    assert not pipeline.awaits_confirmation(SOURCE, noisy, analyse(noisy, Rules(), "x"))


def contract(fees: str) -> bytes:
    """A contract published as one nested list, its clause titles as list items."""
    clause = "Customer may use the service only as these terms allow, and keeps its account safe."
    return f"""<html><head><title>Enterprise Terms</title></head><body><main>
      <h1>Enterprise Terms</h1><p>Last updated: 1 March 2025</p><ol>
      <li>I. Accounts<ol><li>{clause}</li><li>Each user keeps their password to themselves.
        Customer answers for every user it invites to the service.</li></ol></li>
      <li>II. Fees<ol><li>{fees}</li></ol></li>
      <li>III. Termination<ol><li>Either party may end this agreement with thirty days of
        notice in writing to the other party.</li></ol></li>
    </ol></main></body></html>""".encode()


def test_a_version_recorded_by_an_older_normaliser_is_diffed_by_its_sections_now(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade that finds more sections, the first change is reported in the
    one section it touches, not as sections appearing; the old version is re-sectioned."""
    old_fees = "Customer pays the fees in the order form within thirty days of each invoice."
    new_fees = "Customer pays the fees in the order form within fifteen days of each invoice."
    for module in ("watcher.analysis", "watcher.pipeline"):
        monkeypatch.setattr(f"{module}.NORMALISER_VERSION", 3)
    monkeypatch.setattr("watcher.sections._list_headings", lambda blocks: {})
    first = pipeline.process(SOURCE, capture(contract(old_fees)))
    assert first.status == "first" and first.version_id is not None
    assert len(pipeline.store.version("acme", first.version_id).outline.sections) == 1
    monkeypatch.undo()

    records = []
    pipeline.on_change.append(lambda db, record: records.append(record))
    second = pipeline.process(SOURCE, capture(contract(new_fees), minutes=60))
    assert second.status == "changed"
    [record] = records
    touched = [s for s in record.changes.sections if s.status != "unchanged"]
    assert [(s.status, s.new.title if s.new else None) for s in touched] == [("modified", "Fees")]
    reread = pipeline.store.version("acme", first.version_id)
    assert [s.title for s in reread.outline.sections] == [
        "Enterprise Terms",
        "Accounts",
        "Fees",
        "Termination",
    ]
    assert reread.rules_hash == rules_hash(SOURCE)


def test_raw_digest_is_the_sha256_of_the_bytes_whatever_came_before() -> None:
    # Remembered by object identity: a new object at a recycled address, or equal
    # bytes in another object, must still get their own hash.
    for i in range(50):
        body = f"<p>capture {i}</p>".encode()
        assert raw_digest(body) == sha256(body)
        assert raw_digest(body) == sha256(body)
        del body  # its address may be reused by the next capture
    first = b"<p>same bytes</p>"
    twin = bytes(bytearray(first))
    assert twin is not first and raw_digest(twin) == raw_digest(first) == sha256(first)


@pytest.mark.parametrize(
    ("pages", "rules", "reads"),
    [
        ([], (), 1),
        (["acme_v1.html"], (), 0),
        (["acme_v1.html", "acme_v1.html"], (), 0),
        (["acme_v1.html", "acme_v1_noisy.html"], (), 1),
        (["acme_v1.html", "acme_v1_noisy.html", "acme_v1_noisy.html"], (), 0),
        (["acme_v1.html", "challenge.html"], (), 1),
        (["acme_v1.html", "acme_v1.html"], ("main",), 1),
    ],
    ids=[
        "never-captured",
        "captured-once",
        "same-bytes-twice",
        "new-bytes-last-time",
        "new-bytes-then-the-same",
        "rejected-new-bytes",
        "other-rules-now",
    ],
)
def test_a_check_forecasts_which_pages_it_will_read_from_their_last_two_captures(
    pipeline: Pipeline, pages: list[str], rules: tuple[str, ...], reads: int
) -> None:
    """The forecast that decides whether a check starts worker processes: a page is
    read when its bytes are new, so one captured twice with the same bytes will
    probably not be; one with new bytes last time, or never captured, or read under
    other rules than it now has, will."""
    for minutes, name in enumerate(pages):
        pipeline.process(SOURCE, capture(name, minutes))
    now = dataclasses.replace(SOURCE, select=rules)
    assert pipeline.likely_reads([now]) == reads
    other = Source(id="other", name="Other", url="https://other.example/")
    assert pipeline.likely_reads([now, other]) == reads + 1  # never captured
