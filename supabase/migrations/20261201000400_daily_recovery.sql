-- The daily loop notices and recovers a missed run (README, "Daily schedule and its recovery").
-- pg_cron records a job as succeeded once net.http_post has queued the request; whether the
-- function answered is only in pg_net's net._http_response (kept 6 hours on hosted Supabase). So
-- every daily step (ingest 07:30, daily-batch 08:00, scorecard 08:30 UTC) is started through
-- start_daily_step, which records the attempt with pg_net's request id, and a job every 10 minutes
-- (recover_daily_steps) reads the responses, records each attempt's outcome (a 2xx whose work is
-- really in the tables: daily_step_missing), and starts again a day that failed or was never
-- started, with a doubling backoff and a bounded number of attempts. A day is never written twice:
-- a step is not started for a day that completed or has an attempt in flight (a unique index holds
-- that), and the functions' writes are idempotent besides (an attempt that timed out may still
-- have written). The outcome of each step's latest due day is in data_freshness (the app's badge).

create table public.daily_steps (
  step text primary key check (step ~ '^[a-z0-9][a-z0-9_-]*$'),
  function_name text not null check (function_name ~ '^[a-z0-9][a-z0-9_-]*$'),
  due_at time not null, -- UTC time of day from which the day's run is due
  -- ingest takes no run_date: it reads the feeds as they are now (so it catches up no past day)
  sends_run_date boolean not null default true,
  timeout_ms integer not null default 60000 check (timeout_ms between 1000 and 300000),
  max_attempts integer not null default 6 check (max_attempts between 1 and 20),
  retry_after interval not null default '10 minutes' check (retry_after > interval '0'),
  catch_up_days integer not null default 1 check (catch_up_days between 0 and 7),
  -- days whose due moment came before this are not owed (a new install catches up nothing)
  registered_at timestamptz not null default now()
);
comment on table public.daily_steps is
  'Daily steps the loop runs and recovers: the function called (with {"run_date"} when '
  'sends_run_date), when it is due (UTC), its timeout, at most max_attempts automatic attempts per '
  'day, waiting retry_after x 2^(n-1) after the n-th failure; days back to catch_up_days before '
  'today whose due moment is after registered_at are recovered.';

create table public.daily_step_runs (
  id bigint generated always as identity primary key,
  step text not null references public.daily_steps (step) on delete cascade,
  run_date date not null,
  attempt integer not null check (attempt >= 1),
  request_id bigint not null, -- pg_net's id: the row of net._http_response that answers it
  started_at timestamptz not null default now(),
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  finished_at timestamptz,
  status_code integer,
  response text, -- the function's answer as pg_net recorded it
  problem text, -- why the attempt failed; null when it succeeded or is pending
  unique (step, run_date, attempt),
  check ((status = 'pending') = (finished_at is null)),
  check ((status = 'failed') = (problem is not null))
);
comment on table public.daily_step_runs is
  'Every attempt of a daily step for a day, with pg_net''s request id and the outcome read from '
  'net._http_response: succeeded (a 2xx and the day''s work found in the tables), failed (another '
  'status, a time-out, a connection error, no response within the timeout plus 5 minutes, or a '
  '2xx whose work is missing: problem says which).';
-- At most one attempt a day in flight or succeeded: the guarantee that a day is not written twice.
create unique index daily_step_runs_one_live on public.daily_step_runs (step, run_date)
  where status in ('pending', 'succeeded');

alter table public.daily_steps enable row level security;
alter table public.daily_step_runs enable row level security;
revoke all on public.daily_steps, public.daily_step_runs from anon, authenticated;
grant all on public.daily_steps, public.daily_step_runs to service_role;
-- No policies: only the service role (which bypasses row level security) reaches them.

/** Starts one step for one day: records attempt n and queues its net.http_post (sent when the
 * caller's transaction commits). Null when the day succeeded or has an attempt in flight. */
create function public.start_daily_step(p_step text, p_run_date date)
returns bigint language plpgsql as $$
declare
  s public.daily_steps;
  request bigint;
begin
  select * into s from public.daily_steps where step = p_step for update; -- one start at a time
  if not found then
    raise exception 'no daily step named %', p_step;
  end if;
  if exists (
    select 1 from public.daily_step_runs
    where step = p_step and run_date = p_run_date and status in ('pending', 'succeeded')
  ) then
    return null;
  end if;
  request := net.http_post(
    url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
      || '/functions/v1/' || s.function_name,
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || (
        select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'
      )
    ),
    body := case when s.sends_run_date then jsonb_build_object('run_date', p_run_date)
      else '{}'::jsonb end,
    timeout_milliseconds := s.timeout_ms
  );
  insert into public.daily_step_runs (step, run_date, attempt, request_id)
  select p_step, p_run_date, coalesce(max(attempt), 0) + 1, request
  from public.daily_step_runs where step = p_step and run_date = p_run_date;
  return request;
end $$;

/** What of the day's work is missing after a 2xx answer (null: all there), from the tables the
 * step writes: ingest, a run of every enabled feed since the attempt started that did not fail;
 * daily-batch, the predictions its answer counts for run_date; scorecard, the model_performance row
 * of every day its answer scored. Other steps: the 2xx alone. */
create function public.daily_step_missing(
  p_step text, p_run_date date, p_since timestamptz, p_response text
) returns text language plpgsql stable as $$
declare
  answer jsonb;
  missing text;
begin
  begin
    answer := p_response::jsonb;
  exception when others then
    return 'the answer is not JSON';
  end;
  if p_step = 'ingest' then
    select string_agg(f.state || ': ' || coalesce(r.error, 'no ingest run recorded'), '; '
      order by f.state) into missing
    from public.feed_sources f
    left join lateral (
      select i.outcome, i.error from public.ingest_runs i
      where i.state = f.state and i.finished_at >= p_since
      order by i.finished_at desc, i.id desc limit 1
    ) r on true
    where f.enabled and (r.outcome is null or r.outcome = 'failed');
    return 'ingest incomplete: ' || missing;
  elsif p_step = 'daily-batch' then
    if answer ->> 'run_date' is distinct from p_run_date::text
      or jsonb_typeof(answer -> 'predictions' -> 'rows') is distinct from 'number' then
      return 'the answer is not the batch of ' || p_run_date;
    end if;
    select format('%s predictions of %s in the table, the answer counts %s', count(*), p_run_date,
      answer -> 'predictions' ->> 'rows') into missing
    from public.predictions where prediction_date = p_run_date
    having count(*) < (answer -> 'predictions' ->> 'rows')::bigint;
    return missing;
  elsif p_step = 'scorecard' then
    if answer ->> 'run_date' is distinct from p_run_date::text
      or jsonb_typeof(answer -> 'days') is distinct from 'array' then
      return 'the answer is not the scorecard of ' || p_run_date;
    end if;
    select 'no model_performance row for ' || string_agg(
      format('%s %s', d ->> 'model_version', d ->> 'evaluation_date'), ', ') into missing
    from jsonb_array_elements(answer -> 'days') d
    where not exists (
      select 1 from public.model_performance m
      where m.model_version = d ->> 'model_version'
        and m.evaluation_date::text = d ->> 'evaluation_date'
    );
    return missing;
  end if;
  return null;
end $$;

/** Records the outcome of every attempt pg_net has answered (or given up on); returns how many. */
create function public.settle_daily_step_runs()
returns integer language plpgsql as $$
declare
  settled integer;
begin
  with answered as (
    select r.id, resp.status_code, resp.content,
      case
        when resp.id is null then 'no response recorded by pg_net'
        when resp.timed_out then coalesce(resp.error_msg, 'timed out')
        when resp.status_code is null then coalesce(resp.error_msg, 'no status')
        when resp.status_code not between 200 and 299 then
          format('HTTP %s: %s', resp.status_code, left(resp.content, 500))
        else public.daily_step_missing(r.step, r.run_date, r.started_at, resp.content)
      end as problem
    from public.daily_step_runs r
    join public.daily_steps s using (step)
    left join net._http_response resp on resp.id = r.request_id
    where r.status = 'pending'
      and (resp.id is not null
        or now() > r.started_at + s.timeout_ms * interval '1 millisecond' + interval '5 minutes')
  )
  update public.daily_step_runs r
  set status = case when a.problem is null then 'succeeded' else 'failed' end,
    finished_at = now(),
    status_code = a.status_code,
    response = a.content,
    problem = a.problem
  from answered a
  where r.id = a.id;
  get diagnostics settled = row_count;
  return settled;
end $$;

/** The days each step owes by now (today once due_at has passed, and catch_up_days back, each only
 * if its due moment came after registered_at), with their attempts so far: what the recovery, the
 * freshness view and an operator read. */
-- A plain view (its owner's rights) so that data_freshness can read it for anon; only the service
-- role may select it directly.
create view public.daily_step_status as
with days as (
  select s.*, d::date as run_date
  from public.daily_steps s,
    generate_series(
      (now() at time zone 'utc')::date - s.catch_up_days, (now() at time zone 'utc')::date,
      interval '1 day'
    ) d
  where ((d::date + s.due_at) at time zone 'utc') between s.registered_at and now()
)
select d.step, d.function_name, d.run_date,
  case
    when bool_or(r.status = 'succeeded') then 'succeeded'
    when bool_or(r.status = 'pending') then 'running'
    when count(r.id) = 0 then 'missed'
    when count(r.id) >= d.max_attempts then 'failed'
    else 'retrying'
  end as status,
  count(r.id)::integer as attempts,
  d.max_attempts,
  max(r.started_at) as last_started_at,
  max(r.finished_at) filter (where r.status = 'succeeded') as succeeded_at,
  case when count(r.id) > 0 and count(r.id) < d.max_attempts
    and not bool_or(r.status in ('pending', 'succeeded'))
    then max(r.finished_at) + d.retry_after * power(2, count(r.id) - 1)
  end as next_retry_at,
  (array_agg(r.problem order by r.attempt desc) filter (where r.status = 'failed'))[1]
    as last_error
from days d
left join public.daily_step_runs r on r.step = d.step and r.run_date = d.run_date
group by d.step, d.function_name, d.run_date, d.max_attempts, d.retry_after;
comment on view public.daily_step_status is
  'Each daily step for each day it owes (today after due_at, and catch_up_days back): '
  'succeeded, running, retrying (next_retry_at), failed (max_attempts used) or missed (no attempt '
  'yet), with the attempts and the last error. Service role only.';
revoke all on public.daily_step_status from anon, authenticated;
grant select on public.daily_step_status to service_role;

/** The recovery run: settles the answered attempts, then starts every owed day that was missed or
 * whose last failure's backoff has passed, while attempts remain. Returns how many it started. */
create function public.recover_daily_steps()
returns integer language plpgsql as $$
declare
  due record;
  started integer := 0;
begin
  perform public.settle_daily_step_runs();
  for due in
    select step, run_date from public.daily_step_status
    where status = 'missed' or (status = 'retrying' and next_retry_at <= now())
    order by run_date, (select due_at from public.daily_steps s where s.step = daily_step_status.step)
  loop
    if public.start_daily_step(due.step, due.run_date) is not null then
      started := started + 1;
    end if;
  end loop;
  return started;
end $$;

revoke all on function public.start_daily_step(text, date),
  public.daily_step_missing(text, date, timestamptz, text), public.settle_daily_step_runs(),
  public.recover_daily_steps() from public, anon, authenticated;

-- The three steps; each one's job at its due time now starts it through the register (cron.schedule
-- with an existing name replaces that job's schedule and command).
insert into public.daily_steps (step, function_name, due_at, sends_run_date, timeout_ms,
  catch_up_days) values
  ('ingest', 'ingest', '07:30', false, 120000, 0),
  ('daily-batch', 'daily-batch', '08:00', true, 60000, 1),
  ('scorecard', 'scorecard', '08:30', true, 60000, 1);
select cron.schedule('ingest', '30 7 * * *',
  $$select public.start_daily_step('ingest', (now() at time zone 'utc')::date) as request_id$$);
select cron.schedule('daily-batch', '0 8 * * *',
  $$select public.start_daily_step('daily-batch', (now() at time zone 'utc')::date) as request_id$$);
select cron.schedule('scorecard', '30 8 * * *',
  $$select public.start_daily_step('scorecard', (now() at time zone 'utc')::date) as request_id$$);
-- Five minutes past every tenth minute: never at the same moment as a step's own job.
select cron.schedule('daily-steps-recover', '5-59/10 * * * *', $$select public.recover_daily_steps()$$);

-- The app's data-freshness badge (20261201000000_daily_loop.sql) gains each step's latest owed day
-- and its status (no error text: that stays in daily_step_status). Its per-state part is kept under
-- another name (the service role's alone) and the badge reads it, so nothing is restated.
alter view public.data_freshness rename to state_freshness;
revoke all on public.state_freshness from anon, authenticated;
comment on view public.state_freshness is
  'The per-state part of data_freshness (20261201000000_daily_loop.sql). Service role only.';
create view public.data_freshness as
with steps as (
  select distinct on (step) step, run_date, status
  from public.daily_step_status order by step, run_date desc
)
select f.*,
  si.run_date as ingest_step_date,
  si.status as ingest_step_status,
  sb.run_date as batch_step_date,
  sb.status as batch_step_status,
  sc.run_date as scorecard_step_date,
  sc.status as scorecard_step_status
from public.state_freshness f
left join steps si on si.step = 'ingest'
left join steps sb on sb.step = 'daily-batch'
left join steps sc on sc.step = 'scorecard';
revoke all on public.data_freshness from anon, authenticated;
grant select on public.data_freshness to anon, authenticated, service_role;

comment on column public.data_freshness.ingest_step_date is 'The latest day the scheduled ingest owes (today after 07:30 UTC); null before its first.';
comment on column public.data_freshness.ingest_step_status is 'That day''s ingest: succeeded, running, retrying, failed (attempts used up) or missed (not started yet).';
comment on column public.data_freshness.batch_step_date is 'The latest day the scheduled daily batch owes (today after 08:00 UTC).';
comment on column public.data_freshness.batch_step_status is 'That day''s batch: succeeded, running, retrying, failed or missed.';
comment on column public.data_freshness.scorecard_step_date is 'The latest day the scheduled scorecard owes (today after 08:30 UTC).';
comment on column public.data_freshness.scorecard_step_status is 'That day''s scorecard: succeeded, running, retrying, failed or missed.';
