-- The mobile app's data contract (DESIGN.md, Database): the public tables serve both generations of
-- the app (GitHub Domnoval/hackscratcher: migrations 001-005 read game_name, ticket_price,
-- is_active; lib/supabase.ts reads name, price, status) and the seed's code (train_model.py,
-- lambda_function.py), unchanged. The contract is the union of the names, one meaning each.
-- Hosted projects already ran the earlier migrations, so this one only adds, renames and backfills.
-- It runs after the tier index (20261130220000): the per-day tiers are keyed by (game, day,
-- tier_index) with their label. It is a *_schema migration (trainer.db's scratch databases apply
-- those alone, without pg_cron), so it reads nothing of the scorecard's and the daily loop's
-- migrations; 20261201000100_app_contract_freshness.sql adds what follows from them.
--
-- Derived names are of two kinds:
-- - generated columns, when the value follows from the same row (game_name = name, price =
--   ticket_price, status from is_active, ...): no writer can let them drift;
-- - kept by the database on every write, when they need other rows (launch_date needs the state's
--   first day, the depletion rate the days before): statement triggers recompute exactly what a
--   write can change, so every writer (trainer ingest, the functions, a future one) keeps them
--   right without knowing about them.

-- ---- updated_at: the time of the row's last change, kept by a trigger on every update ----------
create function public.touch_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end $$;

-- ---- prize tiers: the per-day history gets its own name; prize_tiers is the app's view ---------
alter table public.prize_tiers rename to prize_tier_snapshots;
alter table public.prize_tier_snapshots rename constraint prize_tiers_pkey to prize_tier_snapshots_pkey;
alter table public.prize_tier_snapshots
  rename constraint prize_tiers_game_id_fkey to prize_tier_snapshots_game_id_fkey;
alter index public.prize_tiers_snapshot_date rename to prize_tier_snapshots_snapshot_date;
alter table public.prize_tier_snapshots
  add column id bigint generated always as identity,
  add column created_at timestamptz not null default now(),
  add column updated_at timestamptz not null default now(),
  add constraint prize_tier_snapshots_id_key unique (id);
create trigger prize_tier_snapshots_touch before update on public.prize_tier_snapshots
  for each row execute function public.touch_updated_at();

-- ---- games: both generations' names -------------------------------------------------------------
alter table public.games
  add column game_name text generated always as (name) stored,
  add column price numeric(10, 2) generated always as (ticket_price) stored,
  add column top_prize numeric(14, 2) generated always as (top_prize_amount) stored,
  add column status text generated always as
    (case when is_active then 'PUBLISHED' else 'RETIRED' end) stored,
  add column launch_date date,
  add column game_start_date date generated always as (launch_date) stored,
  add column tickets_remaining_estimate bigint check (tickets_remaining_estimate >= 0),
  add column created_at timestamptz not null default now(),
  add column updated_at timestamptz not null default now();
create index games_status on public.games (status);
create trigger games_touch before update on public.games
  for each row execute function public.touch_updated_at();

-- ---- historical_snapshots: the app's names for the day's metrics ---------------------------------
alter table public.historical_snapshots
  add column remaining_top_prizes bigint generated always as (top_prizes_left) stored,
  add column expected_value double precision generated always as (net_ev) stored,
  add column tickets_remaining_estimate bigint generated always as
    (round(tickets_left)::bigint) stored,
  add column days_since_launch integer,
  add column top_prize_depletion_rate double precision;

-- ---- predictions: the app's and the seed's name for the model inputs -----------------------------
alter table public.predictions rename column features to features_used;

-- ---- derived values that need other rows ---------------------------------------------------------
-- launch_date: the feeds state no launch date, so it is the day a game first appeared in its
-- state's feed when that day is after the state's first day on record (the launch was observed);
-- null for a game already on sale when the record starts. Returns the games whose date changed.
create function public.refresh_launch_dates(states text[]) returns setof bigint
language sql set search_path = '' as $$
  update public.games g set launch_date = d.launch
  from (select x.id, case when x.first_seen > min(x.first_seen) over (partition by x.state)
          then x.first_seen end as launch
        from public.games x where x.state = any(states)) d
  where g.id = d.id and g.launch_date is distinct from d.launch
  returning g.id
$$;

-- days_since_launch and top_prize_depletion_rate of each game's snapshots in [lo, hi] (null: open).
-- The rate of day t: top prizes claimed per day from the earliest snapshot of [t-7, t) to t.
create function public.refresh_snapshot_derived(game_ids bigint[], lo date[], hi date[])
returns void language sql set search_path = '' as $$
  with spans as (select * from unnest(game_ids, lo, hi) as s(game_id, lo, hi)),
  fresh as (
    select h.game_id, h.snapshot_date, h.snapshot_date - g.launch_date as days_since_launch,
      (select (p.top_prizes_left - h.top_prizes_left)::float8 / (h.snapshot_date - p.snapshot_date)
       from public.historical_snapshots p
       where p.game_id = h.game_id and p.top_prizes_left is not null
         and p.snapshot_date >= h.snapshot_date - 7 and p.snapshot_date < h.snapshot_date
       order by p.snapshot_date limit 1) as rate
    from spans s
    join public.historical_snapshots h on h.game_id = s.game_id
      and h.snapshot_date >= coalesce(s.lo, '-infinity') and h.snapshot_date <= coalesce(s.hi, 'infinity')
    join public.games g on g.id = h.game_id
  )
  update public.historical_snapshots h
  set days_since_launch = f.days_since_launch, top_prize_depletion_rate = f.rate
  from fresh f
  where h.game_id = f.game_id and h.snapshot_date = f.snapshot_date
    and (h.days_since_launch, h.top_prize_depletion_rate) is distinct from (f.days_since_launch, f.rate)
$$;

-- games.tickets_remaining_estimate: the estimate of the game's latest snapshot.
create function public.refresh_ticket_estimates(game_ids bigint[]) returns void
language sql set search_path = '' as $$
  update public.games g set tickets_remaining_estimate = l.estimate
  from unnest(game_ids) as c(game_id)
  cross join lateral (select h.tickets_remaining_estimate as estimate
    from public.historical_snapshots h where h.game_id = c.game_id
    order by h.snapshot_date desc limit 1) l
  where g.id = c.game_id and g.tickets_remaining_estimate is distinct from l.estimate
$$;

-- Statement triggers. Their own updates (trigger depth > 1) change nothing they depend on.
create function public.games_derived() returns trigger
language plpgsql set search_path = '' as $$
declare
  moved bigint[];
begin
  if pg_trigger_depth() > 1 then
    return null;
  end if;
  moved := array(select public.refresh_launch_dates(array(select distinct state from changed)));
  if cardinality(moved) > 0 then
    perform public.refresh_snapshot_derived(moved, array_fill(null::date, array[cardinality(moved)]),
      array_fill(null::date, array[cardinality(moved)]));
  end if;
  return null;
end $$;

create function public.historical_snapshots_derived() returns trigger
language plpgsql set search_path = '' as $$
declare
  ids bigint[];
  lo date[];
  hi date[];
begin
  if pg_trigger_depth() > 1 then
    return null;
  end if;
  -- A written day changes its own values and the rates of the 7 days after it.
  select array_agg(game_id), array_agg(first), array_agg(last + 7) into ids, lo, hi
  from (select game_id, min(snapshot_date) as first, max(snapshot_date) as last
        from changed group by game_id) w;
  if ids is not null then
    perform public.refresh_snapshot_derived(ids, lo, hi);
    perform public.refresh_ticket_estimates(ids);
  end if;
  return null;
end $$;

create trigger games_derived_insert after insert on public.games
  referencing new table as changed for each statement execute function public.games_derived();
create trigger games_derived_update after update on public.games
  referencing new table as changed for each statement execute function public.games_derived();
create trigger historical_snapshots_derived_insert after insert on public.historical_snapshots
  referencing new table as changed
  for each statement execute function public.historical_snapshots_derived();
create trigger historical_snapshots_derived_update after update on public.historical_snapshots
  referencing new table as changed
  for each statement execute function public.historical_snapshots_derived();

-- Backfill what hosted projects already hold (nothing on an empty database).
do $$
declare
  ids bigint[] := array(select id from public.games);
  open_ended date[] := array_fill(null::date, array[cardinality(ids)]);
begin
  perform public.refresh_launch_dates(array(select distinct state from public.games));
  perform public.refresh_snapshot_derived(ids, open_ended, open_ended);
  perform public.refresh_ticket_estimates(ids);
end $$;

-- Only triggers and the service role run these (anon could otherwise call them through the API).
revoke all on function public.touch_updated_at(), public.refresh_launch_dates(text[]),
  public.refresh_snapshot_derived(bigint[], date[], date[]),
  public.refresh_ticket_estimates(bigint[]), public.games_derived(),
  public.historical_snapshots_derived() from public, anon, authenticated;
grant execute on function public.refresh_launch_dates(text[]),
  public.refresh_snapshot_derived(bigint[], date[], date[]),
  public.refresh_ticket_estimates(bigint[]) to service_role;

-- ---- the app's views (security invoker: the caller's grants and row level security apply) -------
-- One row per tier of the game's latest snapshot, as lib/supabase.ts getGameDetails maps it.
create view public.prize_tiers with (security_invoker = true) as
select t.id, t.game_id, t.tier_index, t.prize_label, t.prize_amount,
  t.prizes_printed as total_prizes,
  t.prizes_remaining as remaining_prizes,
  case when t.prizes_printed > 0 then '1 in ' || trim_scale(round((coalesce(
    g.total_tickets_printed, g.overall_odds * sum(t.prizes_printed) over (partition by t.game_id))
    / t.prizes_printed)::numeric, 2))::text end as odds,
  t.snapshot_date, t.prizes_printed, t.prizes_remaining, t.created_at, t.updated_at
from public.games g
cross join lateral (select max(s.snapshot_date) as day from public.prize_tier_snapshots s
                    where s.game_id = g.id) latest
join public.prize_tier_snapshots t on t.game_id = g.id and t.snapshot_date = latest.day
order by t.game_id, t.tier_index;

-- Each active game with its latest prediction (the app's migration 005, latest only).
create view public.active_games_with_predictions with (security_invoker = true) as
select g.id, g.game_number, g.game_name, g.name, g.ticket_price, g.price, g.overall_odds,
  g.top_prize_amount, g.top_prize, g.total_top_prizes, g.remaining_top_prizes, g.is_active,
  g.status, g.game_start_date, g.launch_date, g.created_at, g.updated_at, g.total_tickets_printed,
  g.tickets_remaining_estimate, g.state, g.last_scraped_at,
  p.ai_score, p.confidence_level, p.recommendation, p.reasoning, p.win_probability,
  p.expected_value, p.prediction_date, p.model_version, p.created_at as prediction_created_at
from public.games g
left join lateral (select * from public.predictions x where x.game_id = g.id
                   order by x.prediction_date desc, x.created_at desc, x.id desc limit 1) p on true
where g.is_active
order by g.game_number desc;

revoke all on public.prize_tiers, public.active_games_with_predictions from anon, authenticated;
grant select on public.prize_tiers, public.active_games_with_predictions
  to anon, authenticated, service_role;

-- ---- what each column means (the README's data contract table says which client reads it) -----
comment on table public.games is 'One row per (state, game_number): its attributes on the latest day it was seen.';
comment on column public.games.id is 'Game id (the app keys games, tiers and predictions by it).';
comment on column public.games.state is 'Two-letter state code.';
comment on column public.games.game_number is 'The state''s game number.';
comment on column public.games.name is 'Game name (the app''s current name for it).';
comment on column public.games.game_name is 'Game name (the app''s older name; generated from name).';
comment on column public.games.ticket_price is 'Ticket price in dollars.';
comment on column public.games.price is 'Ticket price in dollars (the app''s current name; generated from ticket_price).';
comment on column public.games.overall_odds is 'Published overall odds N of "1 in N" (any prize); null when the state does not publish them.';
comment on column public.games.total_tickets_printed is 'Tickets printed; null when unpublished.';
comment on column public.games.top_prize_amount is 'The advertised top prize (tier 1) in dollars.';
comment on column public.games.top_prize is 'The advertised top prize (tier 1) in dollars (the app''s current name; generated from top_prize_amount).';
comment on column public.games.total_top_prizes is 'Top prizes printed.';
comment on column public.games.remaining_top_prizes is 'Top prizes not yet claimed, on the latest day seen.';
comment on column public.games.is_active is 'On sale: in its state''s latest snapshot.';
comment on column public.games.status is '''PUBLISHED'' while active, else ''RETIRED'' (generated from is_active).';
comment on column public.games.first_seen is 'First day the game is in the stored history.';
comment on column public.games.launch_date is 'Day the game first appeared in its state''s feed, when that is after the state''s first day on record (the launch was observed); null when it was already on sale when the record starts. Kept by a trigger.';
comment on column public.games.game_start_date is 'Same as launch_date (the app''s older name; generated).';
comment on column public.games.tickets_remaining_estimate is 'Tickets left, estimated, on the latest snapshot (historical_snapshots.tickets_remaining_estimate). Kept by a trigger.';
comment on column public.games.last_scraped_at is 'As-of date of the latest snapshot that includes the game (the data''s own date, not the write time).';
comment on column public.games.created_at is 'When the row was first written.';
comment on column public.games.updated_at is 'When the row last changed (write time; the data''s own date is last_scraped_at). Kept by a trigger.';

comment on table public.prize_tier_snapshots is 'Per-day prize tier history: one row per (game, snapshot day, tier).';
comment on column public.prize_tier_snapshots.id is 'Row id (also the id of the tier in the prize_tiers view).';
comment on column public.prize_tier_snapshots.game_id is 'The game (games.id).';
comment on column public.prize_tier_snapshots.snapshot_date is 'As-of date of the snapshot.';
comment on column public.prize_tier_snapshots.tier_index is 'The tier''s index within its game''s day: 1 is the advertised top prize, then the others by amount, largest first (two tiers may pay the same amount).';
comment on column public.prize_tier_snapshots.prize_label is 'The prize as the state published it (e.g. "$5,000", "$5K/WK/LIFE", "FREE $1 PLAY").';
comment on column public.prize_tier_snapshots.prize_amount is 'Prize of the tier in dollars (its value when the label is not a plain amount).';
comment on column public.prize_tier_snapshots.prizes_printed is 'Prizes of the tier printed.';
comment on column public.prize_tier_snapshots.prizes_remaining is 'Prizes of the tier not yet claimed on snapshot_date.';
comment on column public.prize_tier_snapshots.created_at is 'When the row was first written.';
comment on column public.prize_tier_snapshots.updated_at is 'When the row last changed. Kept by a trigger.';

comment on view public.prize_tiers is 'One row per tier of each game''s latest snapshot (the app''s prize_tiers).';
comment on column public.prize_tiers.id is 'Tier row id (prize_tier_snapshots.id of the latest day: a new day gives new ids).';
comment on column public.prize_tiers.total_prizes is 'Prizes of the tier printed.';
comment on column public.prize_tiers.remaining_prizes is 'Prizes of the tier not yet claimed on snapshot_date.';
comment on column public.prize_tiers.odds is 'Odds of the tier as printed, "1 in N": tickets printed (published, else overall odds x prizes printed) over the tier''s prizes printed; null when neither is known.';

comment on table public.historical_snapshots is 'The day''s exact analytics of each game (trainer analytics; the functions'' port writes the same). reason says why a day has none.';
comment on column public.historical_snapshots.game_id is 'The game (games.id).';
comment on column public.historical_snapshots.snapshot_date is 'As-of date of the snapshot.';
comment on column public.historical_snapshots.reason is 'Why the day has no metrics (sold out, no tickets printed nor odds); null when it has them.';
comment on column public.historical_snapshots.n_tiers is 'Prize tiers in the snapshot.';
comment on column public.historical_snapshots.ticket_price is 'Ticket price in dollars.';
comment on column public.historical_snapshots.top_prize_amount is 'The advertised top prize (tier 1) in dollars.';
comment on column public.historical_snapshots.top_prizes_printed is 'Top prizes printed.';
comment on column public.historical_snapshots.top_prizes_left is 'Top prizes not yet claimed.';
comment on column public.historical_snapshots.remaining_top_prizes is 'Same as top_prizes_left (the app''s name; generated).';
comment on column public.historical_snapshots.top_prize_gone is 'No top prize left.';
comment on column public.historical_snapshots.prizes_printed is 'All prizes printed (sum over tiers).';
comment on column public.historical_snapshots.prizes_remaining is 'All prizes not yet claimed.';
comment on column public.historical_snapshots.tickets_printed is 'Tickets printed T0 (published, else overall odds x prizes printed).';
comment on column public.historical_snapshots.t0_from_odds is 'T0 was estimated from the overall odds.';
comment on column public.historical_snapshots.odds_published is 'The state published overall odds.';
comment on column public.historical_snapshots.fraction_left is 'Fraction of tickets left, from the common low tiers.';
comment on column public.historical_snapshots.tickets_left is 'Tickets left: T0 x fraction_left.';
comment on column public.historical_snapshots.tickets_remaining_estimate is 'tickets_left rounded to a whole ticket (the app''s name; generated).';
comment on column public.historical_snapshots.pct_sold is 'Share of tickets sold: 1 - fraction_left.';
comment on column public.historical_snapshots.gross_ev is 'Gross expected winnings per ticket in dollars.';
comment on column public.historical_snapshots.ev_per_dollar is 'Gross expected winnings per dollar spent.';
comment on column public.historical_snapshots.net_ev is 'Net expected value per ticket in dollars: gross_ev - ticket price (negative: a loss on average).';
comment on column public.historical_snapshots.expected_value is 'Same as net_ev: net dollars per ticket, the meaning of predictions.expected_value (the app''s name; generated).';
comment on column public.historical_snapshots.win_probability is 'Probability that a ticket wins any prize now.';
comment on column public.historical_snapshots.top_prize_ratio is 'Top prizes'' share left over tickets'' share left.';
comment on column public.historical_snapshots.top_value_share is 'Share of the remaining prize value in the top tier.';
comment on column public.historical_snapshots.days_since_launch is 'Days from games.launch_date to snapshot_date; null when the launch was not observed. Kept by a trigger.';
comment on column public.historical_snapshots.top_prize_depletion_rate is 'Top prizes claimed per day over the last 7 days (from the earliest snapshot of the 7 days before); null on a game''s first day. Kept by a trigger.';
comment on column public.historical_snapshots.created_at is 'When the row was first written.';

comment on table public.predictions is 'The daily batch''s prediction of each active game; unique (game_id, prediction_date, model_version). Only the service role writes.';
comment on column public.predictions.id is 'Row id.';
comment on column public.predictions.game_id is 'The game (games.id).';
comment on column public.predictions.prediction_date is 'Day the prediction is for.';
comment on column public.predictions.model_version is 'The model set that made it (the active versions in short).';
comment on column public.predictions.ai_score is '0-100: the forecast 14-day EV per dollar ranked against all games'' (not a chance of winning).';
comment on column public.predictions.win_probability is 'Probability that a ticket wins any prize (exact, from the prize data).';
comment on column public.predictions.expected_value is 'Net expected value per ticket in dollars (negative: a loss on average).';
comment on column public.predictions.confidence_level is '0-100: from the game''s history length and the models'' agreement.';
comment on column public.predictions.recommendation is 'From ai_score: strong_buy >= 80, buy >= 60, neutral >= 40, avoid >= 20, else strong_avoid. Relative: every game loses money on average.';
comment on column public.predictions.reasoning is 'The drivers in plain words, always stating the net EV''s sign.';
comment on column public.predictions.features_used is 'The model inputs by name and each model''s raw output (snapshot_date: the data''s as-of date).';
comment on column public.predictions.created_at is 'When the row was first written.';

comment on view public.active_games_with_predictions is 'Each active game with its latest prediction (null fields when it has none).';
comment on column public.active_games_with_predictions.prediction_date is 'Day of the latest prediction.';
comment on column public.active_games_with_predictions.model_version is 'Model set of the latest prediction.';
comment on column public.active_games_with_predictions.prediction_created_at is 'When the latest prediction was written.';

-- The views' other columns mean what they mean in the tables they come from.
do $$
declare
  col record;
begin
  for col in
    select v.view, a.attname,
      (select col_description(src::regclass, b.attnum) from unnest(v.sources) with ordinality u(src, k)
       join pg_attribute b on b.attrelid = src::regclass and b.attname = a.attname
       where col_description(src::regclass, b.attnum) is not null order by k limit 1) as text
    from (values ('public.prize_tiers', array['public.prize_tier_snapshots']),
                 ('public.active_games_with_predictions', array['public.games', 'public.predictions']))
      as v(view, sources)
    join pg_attribute a on a.attrelid = v.view::regclass and a.attnum > 0
    where col_description(a.attrelid, a.attnum) is null
  loop
    execute format('comment on column %s.%I is %L', col.view, col.attname, col.text);
  end loop;
end $$;
