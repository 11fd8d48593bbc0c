-- The daily schedule's recovery (migration *_daily_recovery.sql): its tables, view and functions
-- are the service role's alone (anon and authenticated neither read them nor start, settle or
-- recover a step); the app reads each step's latest owed day and status through data_freshness
-- only, without the error text; the register's rules (one attempt in flight or succeeded per day,
-- a failure names its problem) hold in the schema.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(25);

select has_table('daily_steps');
select has_table('daily_step_runs');
select has_view('daily_step_status');
select is(
  (select count(*)::int from pg_class
   where relnamespace = 'public'::regnamespace and relname in ('daily_steps', 'daily_step_runs')
     and relrowsecurity),
  2, 'row level security on both tables');
select is((select count(*)::int from pg_policies where tablename like 'daily_step%'), 0,
  'no policy: only the service role reaches them');
select set_eq($$select step from daily_steps$$, array['ingest', 'daily-batch', 'scorecard'],
  'the three scheduled steps are registered');

-- The daily batch registered two days ago, with no attempt yet: its latest owed day is missed.
update daily_steps set registered_at = now() - interval '2 days' where step = 'daily-batch';
delete from daily_step_runs where step = 'daily-batch';

-- A day in the register: one attempt failed, one succeeded; a third live one is refused.
insert into daily_steps (step, function_name, due_at, registered_at)
  values ('test-step', 'health', '00:00', now() - interval '2 days');
insert into daily_step_runs (step, run_date, attempt, request_id, status, finished_at, problem)
  values ('test-step', current_date, 1, -1, 'failed', now(), 'HTTP 500: x');
insert into daily_step_runs (step, run_date, attempt, request_id, status, finished_at)
  values ('test-step', current_date, 2, -2, 'succeeded', now());
select throws_ok($$insert into daily_step_runs (step, run_date, attempt, request_id)
  values ('test-step', current_date, 3, -3)$$, '23505', null,
  'no second live attempt of a day that succeeded');
select throws_ok($$insert into daily_step_runs (step, run_date, attempt, request_id, status,
  finished_at) values ('test-step', current_date - 1, 1, -4, 'failed', now())$$, '23514', null,
  'a failed attempt names its problem');
select is(start_daily_step('test-step', current_date), null::bigint,
  'a day that succeeded is not started again');
select throws_ok($$select start_daily_step('no-such-step', current_date)$$, 'P0001',
  'no daily step named no-such-step', 'an unknown step is an error');

set local role anon;
select throws_ok($$select * from daily_steps$$, '42501', null, 'anon cannot read daily_steps');
select throws_ok($$select * from daily_step_runs$$, '42501', null,
  'anon cannot read daily_step_runs');
select throws_ok($$select * from daily_step_status$$, '42501', null,
  'anon cannot read daily_step_status');
select throws_ok($$insert into daily_step_runs (step, run_date, attempt, request_id)
  values ('test-step', current_date - 1, 1, -5)$$, '42501', null, 'anon cannot record an attempt');
select throws_ok($$select * from state_freshness$$, '42501', null,
  'anon cannot read data_freshness''s per-state part directly');
select throws_ok($$select start_daily_step('daily-batch', current_date)$$, '42501', null,
  'anon cannot start a step');
select throws_ok($$select settle_daily_step_runs()$$, '42501', null,
  'anon cannot settle the attempts');
select throws_ok($$select recover_daily_steps()$$, '42501', null, 'anon cannot run the recovery');
select set_eq($$select batch_step_date, batch_step_status from data_freshness$$,
  $$values ((now() at time zone 'utc')::date
    - case when (now() at time zone 'utc')::time >= '08:00' then 0 else 1 end, 'missed')$$,
  'anon reads the batch''s latest owed day and its status in data_freshness');
reset role;
select ok(not exists (
    select 1 from information_schema.columns
    where table_schema = 'public' and table_name = 'data_freshness'
      and (column_name like '%error%' or column_name like '%problem%' or column_name like '%response%')),
  'data_freshness carries no error text');

set local role authenticated;
select throws_ok($$select * from daily_step_runs$$, '42501', null,
  'authenticated cannot read daily_step_runs');
select throws_ok($$insert into daily_steps (step, function_name, due_at)
  values ('x', 'x', '00:00')$$, '42501', null, 'authenticated cannot register a step');
select throws_ok($$update daily_step_runs set status = 'failed'$$, '42501', null,
  'authenticated cannot change an attempt');
reset role;

set local role service_role;
select is((select status from daily_step_status where step = 'test-step' and run_date = current_date),
  'succeeded', 'the service role reads the status');
select is((select attempts from daily_step_status where step = 'test-step' and run_date = current_date),
  2, 'with the attempts of the day');
reset role;

select * from finish();
rollback;
