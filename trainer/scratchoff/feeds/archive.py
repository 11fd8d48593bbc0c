"""Re-reading the archive of fetched feeds (feed_payloads, through ingest_runs): each run of the
`ingest` function recorded the ids of the documents it fetched, in request order, so a state's
fetch of a day can be handed to its adapter again, e.g. after the adapter was fixed to read what
it refused (`python -m trainer ingest --archive --state TX --from 2026-07-01 --to 2026-07-21`).

A run's day is its as-of date; a run refused before its as-of was read (an adapter's refusal) is
dated by the day it was fetched, in the state's time zone. The same documents fetched twice are
read once. The date hint of a feed without a date is what the run had: the documents'
Last-Modified, else the fetch's moment, in the state's time zone (fetch.date_hint).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from trainer.scratchoff.feeds.common import FeedDocument
from trainer.scratchoff.feeds.fetch import date_hint

RUNS_SQL = """
select r.id, r.payload_ids, r.started_at, f.layout, f.time_zone,
  coalesce(r.as_of, (r.started_at at time zone f.time_zone)::date)::text as day
from public.ingest_runs r join public.feed_sources f using (state)
where r.state = %s and cardinality(r.payload_ids) > 0
  and coalesce(r.as_of, (r.started_at at time zone f.time_zone)::date) between %s and %s
order by r.started_at, r.id
"""
PAYLOADS_SQL = """
select p.url, p.body, p.last_modified from unnest(%s::bigint[]) with ordinality as i(id, n)
join public.feed_payloads p on p.id = i.id order by i.n
"""


@dataclass(frozen=True)
class ArchivedFetch:
    """One fetch of a state's feed as archived: its documents in request order."""

    run_id: int
    day: str  # the run's as-of date, or the day it was fetched
    layout: str  # the adapter the state's source names now
    documents: list[FeedDocument]
    as_of_hint: str

    @property
    def name(self) -> str:
        return f"{self.layout} run {self.run_id} ({self.day}, {len(self.documents)} documents)"


def archived_fetches(
    conn: psycopg.Connection, state: str, day_from: str, day_to: str
) -> list[ArchivedFetch]:
    """The archived fetches of `state` dated day_from..day_to (inclusive), in fetch order."""
    out: list[ArchivedFetch] = []
    seen: set[tuple[int, ...]] = set()
    for run_id, ids, started, layout, zone, day in conn.execute(
        RUNS_SQL, (state, day_from, day_to)
    ).fetchall():
        if tuple(ids) in seen:
            continue
        seen.add(tuple(ids))
        docs = conn.execute(PAYLOADS_SQL, (ids,)).fetchall()
        hint = date_hint([lm for _u, _b, lm in docs], started, zone)
        documents = [FeedDocument(url, bytes(body)) for url, body, _lm in docs]
        out.append(ArchivedFetch(run_id, day, layout, documents, hint))
    return out
