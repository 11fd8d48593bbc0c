-- The checks of a scratch-off write against the stored history (issue 13), in one place for both
-- writers: trainer/scratchoff/store.py (python -m trainer ingest) and the ingest function
-- (supabase/functions/ingest/store.ts). `staged` is the write's tier rows as a JSON array of
-- {line, state, game_number, snapshot_date, ticket_price, tier_index, prize_label, prize_amount,
-- prizes_printed, prizes_remaining}; `line` is the row's line in its file (null when none).

-- The first staged row (by line) that would rewrite a stored day of its game, or whose remaining
-- count does not fit between the stored days around it (claimed prizes do not come back); no row
-- when the write is consistent with the history. The staged rows of known games go to an analyzed
-- temp table first: planned on the function's
-- 100-row guess for jsonb_to_recordset, the joins below ran as nested loops (93 s for the shipped
-- 84,000-row file against its stored self; a second or two this way).
create function public.ingest_history_refusal(staged jsonb)
returns table (line int, col text, message text)
language plpgsql set search_path = '' as $fn$
#variable_conflict use_column
begin
  drop table if exists pg_temp.ingest_known;
  create temp table ingest_known on commit drop as
    select g.id as game_id, r.* from jsonb_to_recordset(staged) as r(line int, state text,
      game_number text, snapshot_date date, tier_index smallint, prize_label text,
      prize_amount numeric, prizes_printed bigint, prizes_remaining bigint)
    join public.games g on g.state = r.state and g.game_number = r.game_number;
  analyze pg_temp.ingest_known;
  return query
  with known as (
    select * from pg_temp.ingest_known
  ), stored_days as (
    select distinct k.game_id, k.snapshot_date from known k
    where exists (select 1 from public.prize_tier_snapshots p
                  where p.game_id = k.game_id and p.snapshot_date = k.snapshot_date)
  ), fresh as (
    select k.* from known k where not exists (select 1 from stored_days d
      where d.game_id = k.game_id and d.snapshot_date = k.snapshot_date)
  ), found (line, col, message) as (
    select k.line,
      case when p.game_id is null then 'tier_index'
        when p.prize_amount <> k.prize_amount then 'prize_amount'
        when p.prize_label <> k.prize_label then 'prize_label'
        when p.prizes_printed <> k.prizes_printed then 'prizes_printed'
        else 'prizes_remaining' end,
      case when p.game_id is null
        then format('game %s on %s: the stored day has no tier %s (a stored day is not rewritten)',
          k.game_number, k.snapshot_date, k.tier_index)
        else format('game %s on %s, tier %s: %s (%s), %s printed, %s left; stored %s (%s), %s'
          ' printed, %s left (a stored day is not rewritten)', k.game_number, k.snapshot_date,
          k.tier_index, k.prize_label, k.prize_amount, k.prizes_printed, k.prizes_remaining,
          p.prize_label, p.prize_amount, p.prizes_printed, p.prizes_remaining) end
    from known k join stored_days d using (game_id, snapshot_date)
    left join public.prize_tier_snapshots p on p.game_id = k.game_id
      and p.snapshot_date = k.snapshot_date and p.tier_index = k.tier_index
    where p.game_id is null or (p.prize_amount, p.prize_label, p.prizes_printed,
      p.prizes_remaining) is distinct from (k.prize_amount, k.prize_label, k.prizes_printed,
      k.prizes_remaining)
    union all
    select (select min(k.line) from known k where k.game_id = p.game_id
        and k.snapshot_date = p.snapshot_date), 'tier_index',
      format('game %s on %s: the stored day has a tier %s (%s) the file lacks'
        ' (a stored day is not rewritten)', g.game_number, p.snapshot_date, p.tier_index,
        p.prize_label)
    from public.prize_tier_snapshots p join stored_days d using (game_id, snapshot_date)
    join public.games g on g.id = p.game_id
    where not exists (select 1 from known k where k.game_id = p.game_id
      and k.snapshot_date = p.snapshot_date and k.tier_index = p.tier_index)
    union all
    select k.line, 'prizes_remaining', format('%s left, more than the %s stored for %s'
      ' (claimed prizes do not come back)', k.prizes_remaining, b.prizes_remaining, b.snapshot_date)
    from fresh k cross join lateral (select p.snapshot_date, p.prizes_remaining
      from public.prize_tier_snapshots p where p.game_id = k.game_id and p.tier_index = k.tier_index
      and p.snapshot_date < k.snapshot_date order by p.snapshot_date desc limit 1) b
    where k.prizes_remaining > b.prizes_remaining
    union all
    select k.line, 'prizes_remaining', format('%s left, fewer than the %s stored for the later %s'
      ' (claimed prizes do not come back)', k.prizes_remaining, a.prizes_remaining, a.snapshot_date)
    from fresh k cross join lateral (select p.snapshot_date, p.prizes_remaining
      from public.prize_tier_snapshots p where p.game_id = k.game_id and p.tier_index = k.tier_index
      and p.snapshot_date > k.snapshot_date order by p.snapshot_date limit 1) a
    where k.prizes_remaining < a.prizes_remaining
  )
  select f.line, f.col, f.message from found f order by f.line nulls last, f.col limit 1;
end
$fn$;

-- Each staged game-day whose ticket price differs from the game's previous day, staged or stored
-- (historical_snapshots keeps each day's price): a warning, not a refusal (games are repriced).
create function public.ingest_price_changes(staged jsonb)
returns table (line int, game_number text, snapshot_date text, price float8, before_day text,
  before_price float8)
language sql stable set search_path = '' as $$
  with rows as (
    select r.* from jsonb_to_recordset(staged) as r(line int, state text, game_number text,
      snapshot_date date, ticket_price float8)
  ), days_staged as (
    select state, game_number, snapshot_date, min(ticket_price) as price, min(line) as line
    from rows group by 1, 2, 3
  ), days as (
    select state, game_number, snapshot_date, price, line, true as new from days_staged
    union all
    select g.state, g.game_number, h.snapshot_date, h.ticket_price, null, false
    from public.historical_snapshots h join public.games g on g.id = h.game_id
    where (g.state, g.game_number) in (select state, game_number from days_staged)
      and not exists (select 1 from days_staged s where s.state = g.state
        and s.game_number = g.game_number and s.snapshot_date = h.snapshot_date)
  ), ordered as (
    select *, lag(snapshot_date) over w as before_day, lag(price) over w as before_price
    from days window w as (partition by state, game_number order by snapshot_date)
  )
  select line, game_number, snapshot_date::text, price, before_day::text, before_price
  from ordered where new and before_price <> price order by line nulls last, game_number
$$;

-- Writers only (they run as the service role or the owner); the app's roles call neither.
revoke all on function public.ingest_history_refusal(jsonb), public.ingest_price_changes(jsonb)
  from public, anon, authenticated;
grant execute on function public.ingest_history_refusal(jsonb), public.ingest_price_changes(jsonb)
  to service_role;
