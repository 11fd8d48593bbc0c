-- The warnings of an ingest run (issue 13): values the ingest function loaded as given but worth a
-- look, as `python -m trainer ingest` prints them (trainer/rules.py: a game's ticket price that
-- changes between days). A refusal stays in `error`, with outcome 'failed'.
alter table public.ingest_runs add column warnings text[] not null default '{}';
comment on column public.ingest_runs.warnings is 'Values loaded as given but worth a look (a ticket price that changed since the game''s previous day), one message each: file, row, column, why.';
