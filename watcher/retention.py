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

_PRUNABLE = f"""
    started_at < :before AND origin = 'network' AND outcome NOT IN ('first', 'changed')
    AND id NOT IN (
        SELECT id FROM (
            SELECT id, row_number() OVER (PARTITION BY source_id ORDER BY id DESC) AS n
            FROM fetches
        ) WHERE n <= {KEEP_LATEST}
    )
    AND id NOT IN (
        SELECT max(id) FROM fetches
        WHERE outcome IN ('first', 'changed', 'unchanged') GROUP BY source_id, origin
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
    transaction; nothing else changes). With ``dry_run``, only count them."""
    moment = {"before": iso(before)}
    with store.transaction() as db:
        if dry_run:
            found = db.execute(f"SELECT count(*) FROM fetches WHERE {_PRUNABLE}", moment)
            records = int(found.fetchone()[0])
        else:
            records = db.execute(f"DELETE FROM fetches WHERE {_PRUNABLE}", moment).rowcount
    kept = store.count("fetches") - (records if dry_run else 0)
    log.info("pruned %d check record(s) from before %s; %d kept", records, moment["before"], kept)
    return Pruned(moment["before"], records, kept, dry_run)
