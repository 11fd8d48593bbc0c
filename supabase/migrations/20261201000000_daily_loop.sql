-- The daily loop (DESIGN.md, Daily schedule; README, "The daily loop"): the states' official feeds,
-- the archive of every payload fetched, the ingest runs, the freshness of each prediction and a
-- freshness view for the app. The `ingest` function writes these; pg_cron calls it at 07:30 UTC,
-- half an hour before the daily batch (08:00 UTC).

-- One row per state feed. `layout` picks the adapter (_shared/scratchoff/feeds); `urls` are the
-- documents of one snapshot (Texas: the csv; New York: prize status rows, then the game list).
-- A prediction of a game of this state is refused as stale when its latest snapshot is more than
-- `stale_after_days` days older than the prediction date (states without a row: 3 days).
create table public.feed_sources (
  state text primary key check (state ~ '^[A-Z]{2}$'),
  layout text not null check (layout ~ '^[A-Z]{2}$'),
  urls text[] not null check (cardinality(urls) between 1 and 4),
  enabled boolean not null default true,
  timeout_ms integer not null default 20000 check (timeout_ms between 100 and 120000),
  stale_after_days integer not null default 3 check (stale_after_days between 0 and 3650),
  updated_at timestamptz not null default now()
);

-- Every payload ever fetched, byte for byte (error pages and cut-off bodies too: they are the
-- evidence of what the state served). The same bytes from the same URL are stored once.
create table public.feed_payloads (
  id bigint generated always as identity primary key,
  state text not null check (state ~ '^[A-Z]{2}$'),
  url text not null,
  http_status integer not null,
  content_type text,
  as_of date, -- the feed's own as-of date; null when the payload could not be read
  fetched_at timestamptz not null default now(),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  bytes integer not null check (bytes >= 0),
  body bytea not null,
  unique (state, url, sha256),
  check (encode(sha256(body), 'hex') = sha256),
  check (octet_length(body) = bytes)
);
create index feed_payloads_state_as_of on public.feed_payloads (state, as_of);

-- One row per state per ingest call. outcome: 'ingested' (a new day written), 'same_day' and
-- 'older' (the feed's as-of date is the stored latest day or older: nothing written), 'failed'
-- (fetch, parse or validation error: nothing written for the state; `error` says why).
create table public.ingest_runs (
  id bigint generated always as identity primary key,
  state text not null check (state ~ '^[A-Z]{2}$'),
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  as_of date,
  stored_as_of date, -- the state's latest snapshot before this run
  outcome text not null check (outcome in ('ingested', 'same_day', 'older', 'failed')),
  rows integer not null default 0 check (rows >= 0), -- prize tier rows in the payload
  counts jsonb not null default '{}'::jsonb, -- inserted/updated per table
  payload_ids bigint[] not null default '{}',
  error text,
  check ((outcome = 'failed') = (error is not null))
);
create index ingest_runs_state_finished on public.ingest_runs (state, finished_at desc);

-- The as-of date of the data each prediction was computed from (the game's latest snapshot).
alter table public.predictions add column data_as_of date;

revoke all on public.feed_sources, public.feed_payloads, public.ingest_runs from anon, authenticated;
grant all on public.feed_sources, public.feed_payloads, public.ingest_runs to service_role;
alter table public.feed_sources enable row level security;
alter table public.feed_payloads enable row level security;
alter table public.ingest_runs enable row level security;
-- No policies: only the service role (which bypasses row level security) reaches them.

-- Texas's official export. The local stack points the URLs at its loopback feed server
-- (scripts/local/feed_server.py). Other states (New York's two open-data documents) are added with
-- one insert each on the hosted project (README, "The daily loop").
insert into public.feed_sources (state, layout, urls) values
  ('TX', 'TX', array['https://www.texaslottery.com/export/sites/lottery/Games/Scratch_Offs/scratchoff.csv']);

-- The app's data-freshness badge: per state, how old the data is, the last ingest and the last
-- batch. Runs with its owner's rights (a plain view) so that anon can read this summary without
-- reading ingest_runs itself; it exposes no error text and no URL.
create view public.data_freshness as
with states as (
  select state from public.games union select state from public.feed_sources
),
latest as (
  select g.state, max(h.snapshot_date) as data_as_of
  from public.historical_snapshots h join public.games g on g.id = h.game_id
  group by g.state
),
last_run as (
  select distinct on (state) state, finished_at, outcome, as_of
  from public.ingest_runs order by state, finished_at desc, id desc
),
last_batch as (
  select g.state, max(p.prediction_date) as prediction_date, max(p.created_at) as created_at
  from public.predictions p join public.games g on g.id = p.game_id
  group by g.state
)
select
  s.state,
  l.data_as_of,
  (now() at time zone 'utc')::date - l.data_as_of as data_age_days,
  coalesce(f.stale_after_days, 3) as stale_after_days,
  coalesce((now() at time zone 'utc')::date - l.data_as_of > coalesce(f.stale_after_days, 3), true)
    as stale,
  r.finished_at as last_ingest_at,
  r.outcome as last_ingest_outcome,
  r.as_of as last_ingest_as_of,
  b.prediction_date as last_batch_date,
  b.created_at as last_batch_at
from states s
left join latest l using (state)
left join public.feed_sources f using (state)
left join last_run r using (state)
left join last_batch b using (state);

revoke all on public.data_freshness from anon, authenticated;
grant select on public.data_freshness to anon, authenticated, service_role;

-- Ingest at 07:30 UTC, before the daily batch at 08:00 (20260401000002): the batch then predicts
-- from the day's data. Ingest of every state takes seconds, so half an hour is ample; a failed
-- state keeps yesterday's data and its predictions say how old it is.
select cron.schedule(
  'ingest',
  '30 7 * * *',
  $$
  select net.http_post(
    url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
      || '/functions/v1/ingest',
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || (
        select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'
      )
    ),
    body := '{}'::jsonb,
    timeout_milliseconds := 120000
  ) as request_id;
  $$
);
