"""How long the store keeps its records of routine checks.

Every check of every source leaves a row in ``fetches``, so a store that
tracks many sources grows with time even when nothing changes (about 0.3 KB
per check: 30 MB a day at 100,000 sources). :func:`prune_checks` deletes the
old ones that nothing rests on. It keeps:

* the captures that made versions (``first`` and ``changed``): the history;
* everything imported from archives: what makes a repeated import a no-op;
* each source's latest :data:`KEEP_LATEST` records, so that failure incidents
  still count their checks, and its latest accepted capture, whose ETag,
  Last-Modified and hash let the next check skip unchanged pages.

Versions, raw captures, changes and emails are never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from .store import Store, iso

log = logging.getLogger(__name__)

KEEP_LATEST = 10

# One source at a time, so that the write lock is held briefly however large the
# store: a daemon recording checks meanwhile waits milliseconds, not minutes.
_PRUNABLE = f"""
    source_id = :source AND started_at < :before AND origin = 'network'
    AND outcome NOT IN ('first', 'changed')
    AND id NOT IN (
        SELECT id FROM fetches WHERE source_id = :source ORDER BY id DESC LIMIT {KEEP_LATEST}
    )
    AND id NOT IN (
        SELECT max(id) FROM fetches
        WHERE source_id = :source AND outcome IN ('first', 'changed', 'unchanged')
        GROUP BY origin
    )
"""


@dataclass(frozen=True, slots=True)
class Pruned:
    """What :func:`prune_checks` did: ``records`` deleted (in a dry run, that would
    be) of the checks started before ``before``, and how many records are ``kept``."""

    before: str
    records: int
    kept: int
    dry_run: bool


def prune_checks(store: Store, before: datetime, dry_run: bool = False) -> Pruned:
    """Delete the records of routine checks started before ``before`` (one
    transaction per source; nothing else changes). With ``dry_run``, only count them."""
    moment = iso(before)
    records = 0
    for source in store.source_ids():
        where = {"source": source, "before": moment}
        if dry_run:
            found = store.db.execute(f"SELECT count(*) FROM fetches WHERE {_PRUNABLE}", where)
            records += int(found.fetchone()[0])
            continue
        with store.transaction() as db:
            records += db.execute(f"DELETE FROM fetches WHERE {_PRUNABLE}", where).rowcount
    kept = store.count("fetches") - (records if dry_run else 0)
    log.info("pruned %d check record(s) from before %s; %d kept", records, moment, kept)
    return Pruned(moment, records, kept, dry_run)
