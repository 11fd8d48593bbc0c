-- The daily batch fans out (issue 21; docs/daily-batch.md): instead of one call that predicts every
-- active game (443 MiB RSS and about 2 s at 5,041 games: over the hosted runtime's 256 MB, and
-- growing with every state), the daily step starts one daily-batch call per part of the day: a
-- block of at most daily_steps.part_games active games in id order, whatever their state (a
-- call's fixed cost is paid once per 500 games, not once per state's 70-odd). Each part is
-- an attempt of its own in daily_step_runs (column part, with the body it was sent): settled on its
-- own answer and retried alone, with the step's backoff and attempt budget, resending the same
-- body. A part is still never in flight twice and never rerun once it succeeded (the unique index,
-- now per part), and the function's writes are idempotent besides. Steps without part_games
-- (ingest, scorecard) keep their one call a day, as part ''.

alter table public.daily_steps add column part_games integer
  check (part_games between 1 and 100000);
comment on column public.daily_steps.part_games is
  'null: one call a day. n: one call per part of the day (a block of at most n active games in id '
  'order: {"run_date", "part": {"from_game_id", "to_game_id"}}), each settled and retried on its '
  'own. Only daily-batch reads parts.';
-- 500 games: 0.13-0.25 s of CPU and 40-65 MiB of V8 heap used + external in one invocation, as
-- measured (docs/daily-batch.md), against targets of 1 s and 150 MB (issue 21)
update public.daily_steps set part_games = 500 where step = 'daily-batch';

alter table public.daily_step_runs
  add column part text not null default '' check (part ~ '^([1-9][0-9]*)?$'),
  add column body jsonb; -- the request's body (null in rows recorded before this migration)
comment on column public.daily_step_runs.part is
  'The part of the day this attempt is for: '''' for a step called once a day, else n (the n-th '
  'block of part_games active games in id order, as daily_step_parts numbers them).';
alter table public.daily_step_runs drop constraint daily_step_runs_step_run_date_attempt_key,
  add constraint daily_step_runs_part_attempt_key unique (step, run_date, part, attempt);
-- At most one attempt of each part in flight or succeeded: a part is not written twice.
drop index public.daily_step_runs_one_live;
create unique index daily_step_runs_one_live on public.daily_step_runs (step, run_date, part)
  where status in ('pending', 'succeeded');

/** The parts of a step's day and the body each is sent: one part '' for a step called once a day
 * (or a fanned-out one with no active game), else the active games in blocks of part_games in id
 * order. */
create function public.daily_step_parts(p_step text, p_run_date date)
returns table (part text, body jsonb) language sql stable as $$
  with s as (select * from public.daily_steps where step = p_step),
  blocks as (
    select (row_number() over (order by g.id) - 1) / (select part_games from s) + 1 as n, g.id
    from public.games g where g.is_active and (select part_games from s) is not null
  ),
  parts as (
    select n::text as part, jsonb_build_object('run_date', p_run_date, 'part',
      jsonb_build_object('from_game_id', min(id), 'to_game_id', max(id))) as body
    from blocks group by n
  )
  select part, body from parts
  union all
  select '', case when s.sends_run_date then jsonb_build_object('run_date', p_run_date)
    else '{}'::jsonb end
  from s where not exists (select from parts)
$$;

/** Starts one step for one day: every part that has no attempt in flight and has not succeeded
 * (a fanned-out step: and whose backoff has passed and which has attempts left) gets its next
 * attempt recorded and its net.http_post queued (sent when the caller's transaction commits). A
 * part already tried resends its first body. Returns the first request id queued; null when
 * nothing was started. */
create or replace function public.start_daily_step(p_step text, p_run_date date)
returns bigint language plpgsql as $$
declare
  s public.daily_steps;
  p record;
  request bigint;
  first_request bigint;
begin
  select * into s from public.daily_steps where step = p_step for update; -- one start at a time
  if not found then
    raise exception 'no daily step named %', p_step;
  end if;
  for p in
    with planned as (select * from public.daily_step_parts(p_step, p_run_date)),
    tried as (
      select r.part, count(*) as attempts, max(r.finished_at) as last_finished,
        bool_or(r.status in ('pending', 'succeeded')) as live,
        (array_agg(r.body order by r.attempt) filter (where r.body is not null))[1] as body
      from public.daily_step_runs r where r.step = p_step and r.run_date = p_run_date
      group by r.part
    )
    select coalesce(t.part, pl.part) as part, coalesce(t.body, pl.body) as body,
      coalesce(t.attempts, 0) as attempts, t.last_finished, coalesce(t.live, false) as live
    from tried t full join planned pl on pl.part = t.part
    order by 1
  loop
    continue when p.live or p.body is null;
    continue when s.part_games is not null and p.attempts > 0 and (p.attempts >= s.max_attempts
      or now() < p.last_finished + s.retry_after * power(2, p.attempts - 1));
    request := net.http_post(
      url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
        || '/functions/v1/' || s.function_name,
      headers := jsonb_build_object(
        'Content-Type', 'application/json',
        'Authorization', 'Bearer ' || (
          select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'
        )
      ),
      body := p.body,
      timeout_milliseconds := s.timeout_ms
    );
    insert into public.daily_step_runs (step, run_date, part, body, attempt, request_id)
    values (p_step, p_run_date, p.part, p.body, p.attempts + 1, request);
    first_request := coalesce(first_request, request);
  end loop;
  return first_request;
end $$;

/** What of a part's work is missing after a 2xx answer (null: all there): for a daily-batch part,
 * the answer must be that part's and the table must hold the predictions it counts among the
 * part's games; otherwise the step's own check (daily_step_missing). */
create function public.daily_step_part_missing(
  p_step text, p_run_date date, p_body jsonb, p_since timestamptz, p_response text
) returns text language plpgsql stable as $$
declare
  answer jsonb;
  missing text;
begin
  if p_step <> 'daily-batch' or p_body -> 'part' is null then
    return public.daily_step_missing(p_step, p_run_date, p_since, p_response);
  end if;
  begin
    answer := p_response::jsonb;
  exception when others then
    return 'the answer is not JSON';
  end;
  if answer ->> 'run_date' is distinct from p_run_date::text
    or answer -> 'part' is distinct from p_body -> 'part'
    or jsonb_typeof(answer -> 'predictions' -> 'rows') is distinct from 'number' then
    return format('the answer is not the batch of %s, part %s', p_run_date, p_body -> 'part');
  end if;
  select format('%s predictions of %s among the part''s games, the answer counts %s', count(*),
    p_run_date, answer -> 'predictions' ->> 'rows') into missing
  from public.predictions p
  where p.prediction_date = p_run_date
    and p.game_id between (p_body -> 'part' ->> 'from_game_id')::bigint
      and (p_body -> 'part' ->> 'to_game_id')::bigint
  having count(*) < (answer -> 'predictions' ->> 'rows')::bigint;
  return missing;
end $$;

/** Records the outcome of every attempt (every part's) pg_net has answered or given up on. */
create or replace function public.settle_daily_step_runs()
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
        else public.daily_step_part_missing(r.step, r.run_date, r.body, r.started_at,
          resp.content)
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

-- Each owed day's status now sums up its parts: running while one is in flight, succeeded when
-- every part started has, retrying while a failed part has attempts left (next_retry_at: the
-- earliest of their backoffs), failed when a part used them all; attempts is the most any part
-- used. The columns are those of 20261201000400_daily_recovery.sql, and parts / parts_succeeded.
create or replace view public.daily_step_status as
with days as (
  select s.*, d::date as run_date
  from public.daily_steps s,
    generate_series(
      (now() at time zone 'utc')::date - s.catch_up_days, (now() at time zone 'utc')::date,
      interval '1 day'
    ) d
  where ((d::date + s.due_at) at time zone 'utc') between s.registered_at and now()
),
parts as (
  select r.step, r.run_date, r.part,
    bool_or(r.status = 'succeeded') as succeeded,
    bool_or(r.status = 'pending') as pending,
    count(*) as attempts,
    max(r.started_at) as last_started_at,
    max(r.finished_at) as last_finished_at,
    (array_agg(r.problem order by r.attempt desc) filter (where r.status = 'failed'))[1]
      as last_error
  from public.daily_step_runs r
  group by r.step, r.run_date, r.part
)
select d.step, d.function_name, d.run_date,
  case
    when count(p.part) = 0 then 'missed'
    when bool_or(p.pending) then 'running'
    when bool_and(p.succeeded) then 'succeeded'
    when bool_or(not p.succeeded and p.attempts < d.max_attempts) then 'retrying'
    else 'failed'
  end as status,
  coalesce(max(p.attempts), 0)::integer as attempts,
  d.max_attempts,
  max(p.last_started_at) as last_started_at,
  case when count(p.part) > 0 and bool_and(p.succeeded) then max(p.last_finished_at) end
    as succeeded_at,
  case when count(p.part) > 0 and not bool_or(p.pending) then
    min(p.last_finished_at + d.retry_after * power(2, p.attempts - 1))
      filter (where not p.succeeded and p.attempts < d.max_attempts)
  end as next_retry_at,
  (array_agg(case when p.part = '' then p.last_error else format('part %s: %s', p.part,
    p.last_error) end
    order by p.last_finished_at desc) filter (where p.last_error is not null
      and not p.succeeded))[1] as last_error,
  count(p.part)::integer as parts,
  (count(p.part) filter (where p.succeeded))::integer as parts_succeeded
from days d
left join parts p on p.step = d.step and p.run_date = d.run_date
group by d.step, d.function_name, d.run_date, d.max_attempts, d.retry_after;
comment on view public.daily_step_status is
  'Each daily step for each day it owes (today after due_at, and catch_up_days back): '
  'succeeded (every part), running (a part in flight), retrying (a failed part has attempts '
  'left; next_retry_at), failed (a part used max_attempts) or missed (no attempt yet), with the '
  'most attempts of a part, the last error ("part n: ..." for a part) and the parts started and '
  'succeeded. Service role only.';

revoke all on function public.daily_step_parts(text, date),
  public.daily_step_part_missing(text, date, jsonb, timestamptz, text)
  from public, anon, authenticated;
