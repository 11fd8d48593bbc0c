-- Scratch Oracle schema (DESIGN.md, Database). Names follow the mobile app's existing contract.

create table public.games (
  id bigint generated always as identity primary key,
  state text not null check (state ~ '^[A-Z]{2}$'),
  game_number text not null check (length(game_number) between 1 and 32),
  name text not null check (length(name) > 0),
  ticket_price numeric(10, 2) not null check (ticket_price > 0),
  overall_odds double precision check (overall_odds >= 1),
  total_tickets_printed bigint check (total_tickets_printed > 0),
  top_prize_amount numeric(14, 2) check (top_prize_amount > 0),
  total_top_prizes bigint check (total_top_prizes >= 0),
  remaining_top_prizes bigint check (remaining_top_prizes >= 0),
  is_active boolean not null default true,
  first_seen date not null,
  last_scraped_at timestamptz not null default now(),
  unique (state, game_number),
  check (remaining_top_prizes <= total_top_prizes)
);

create table public.prize_tiers (
  game_id bigint not null references public.games (id) on delete cascade,
  snapshot_date date not null,
  prize_amount numeric(14, 2) not null check (prize_amount > 0),
  prizes_printed bigint not null check (prizes_printed >= 0),
  prizes_remaining bigint not null check (prizes_remaining >= 0),
  primary key (game_id, snapshot_date, prize_amount),
  check (prizes_remaining <= prizes_printed)
);
create index prize_tiers_snapshot_date on public.prize_tiers (snapshot_date);

-- The day's derived metrics (trainer/analytics.py, GameMetrics; the edge functions' port writes
-- the same). `reason` says why a game has none; the metrics are then null.
create table public.historical_snapshots (
  game_id bigint not null references public.games (id) on delete cascade,
  snapshot_date date not null,
  reason text,
  n_tiers integer not null check (n_tiers >= 0),
  ticket_price double precision not null,
  top_prize_amount double precision,
  top_prizes_printed bigint check (top_prizes_printed >= 0),
  top_prizes_left bigint check (top_prizes_left >= 0),
  top_prize_gone boolean,
  prizes_printed bigint check (prizes_printed >= 0),
  prizes_remaining bigint check (prizes_remaining >= 0),
  tickets_printed double precision check (tickets_printed > 0),
  t0_from_odds boolean,
  odds_published boolean not null,
  fraction_left double precision check (fraction_left between 0 and 1),
  tickets_left double precision check (tickets_left >= 0),
  pct_sold double precision check (pct_sold between 0 and 1),
  gross_ev double precision check (gross_ev >= 0),
  ev_per_dollar double precision check (ev_per_dollar >= 0),
  net_ev double precision,
  win_probability double precision check (win_probability between 0 and 1),
  top_prize_ratio double precision check (top_prize_ratio >= 0),
  top_value_share double precision check (top_value_share between 0 and 1),
  created_at timestamptz not null default now(),
  primary key (game_id, snapshot_date),
  check ((reason is null) = (ev_per_dollar is not null))
);

create table public.predictions (
  id bigint generated always as identity primary key,
  game_id bigint not null references public.games (id) on delete cascade,
  prediction_date date not null,
  model_version text not null check (length(model_version) > 0),
  ai_score double precision not null check (ai_score between 0 and 100),
  win_probability double precision not null check (win_probability between 0 and 1),
  expected_value double precision not null,
  confidence_level double precision not null check (confidence_level between 0 and 100),
  recommendation text not null
    check (recommendation in ('strong_buy', 'buy', 'neutral', 'avoid', 'strong_avoid')),
  reasoning text not null check (length(reasoning) > 0),
  features jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  unique (game_id, prediction_date, model_version)
);
create index predictions_prediction_date on public.predictions (prediction_date);

create table public.model_registry (
  id bigint generated always as identity primary key,
  name text not null check (name ~ '^[a-z0-9_]+$'),
  version text not null check (length(version) > 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  onnx bytea not null,
  manifest jsonb not null,
  created_at timestamptz not null default now(),
  is_active boolean not null default false,
  unique (name, version),
  -- The stored hash must be the hash of the stored bytes: a corrupt upload cannot land.
  check (encode(sha256(onnx), 'hex') = sha256)
);
-- At most one active version per model name.
create unique index model_registry_one_active on public.model_registry (name) where is_active;

create table public.powerball_draws (
  draw_date date primary key check (draw_date >= date '2015-10-07'),
  white_1 smallint not null check (white_1 between 1 and 69),
  white_2 smallint not null check (white_2 between 1 and 69),
  white_3 smallint not null check (white_3 between 1 and 69),
  white_4 smallint not null check (white_4 between 1 and 69),
  white_5 smallint not null check (white_5 between 1 and 69),
  powerball smallint not null check (powerball between 1 and 26),
  power_play smallint check (power_play in (2, 3, 4, 5, 10)),
  -- Sorted and distinct: five different balls.
  check (white_1 < white_2 and white_2 < white_3 and white_3 < white_4 and white_4 < white_5)
);

-- Access: revoke Supabase's default grants, then grant what is meant (read-only for the app).
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated;
revoke all on all tables in schema public from anon, authenticated;
revoke all on all sequences in schema public from anon, authenticated;

grant select on public.games, public.prize_tiers, public.historical_snapshots, public.predictions,
  public.powerball_draws to anon, authenticated;
grant all on all tables in schema public to service_role;
grant all on all sequences in schema public to service_role;

alter table public.games enable row level security;
alter table public.prize_tiers enable row level security;
alter table public.historical_snapshots enable row level security;
alter table public.predictions enable row level security;
alter table public.model_registry enable row level security;
alter table public.powerball_draws enable row level security;

create policy "public read" on public.games for select to anon, authenticated using (true);
create policy "public read" on public.prize_tiers for select to anon, authenticated using (true);
create policy "public read" on public.historical_snapshots
  for select to anon, authenticated using (true);
create policy "public read" on public.predictions for select to anon, authenticated using (true);
create policy "public read" on public.powerball_draws
  for select to anon, authenticated using (true);
-- model_registry has no policy: only the service role (which bypasses RLS) reaches it.
