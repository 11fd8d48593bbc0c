-- Who may read and write what (DESIGN.md, Database): anon and authenticated read the public tables
-- and write nothing; neither reaches model_registry; the service role writes.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(32);

-- Fixture rows, written as the table owner.
insert into games (state, game_number, name, ticket_price, first_seen)
values ('ZZ', 'T-1', 'Test game', 5, '2026-01-01');
insert into model_registry (name, version, sha256, onnx, manifest)
values ('m', 'v1', encode(sha256('\x01'::bytea), 'hex'), '\x01', '{}');

-- anon: reads the public tables
set local role anon;
select isnt_empty($$select 1 from games where game_number = 'T-1'$$, 'anon reads games');
select lives_ok($$select * from prize_tiers$$, 'anon reads prize_tiers');
select lives_ok($$select * from historical_snapshots$$, 'anon reads historical_snapshots');
select lives_ok($$select * from predictions$$, 'anon reads predictions');
select lives_ok($$select * from powerball_draws$$, 'anon reads powerball_draws');
select throws_ok($$select * from model_registry$$, '42501', null, 'anon cannot read model_registry');
select throws_ok(
  $$insert into games (state, game_number, name, ticket_price, first_seen)
    values ('ZZ', 'X', 'x', 1, '2026-01-01')$$,
  '42501', null, 'anon cannot insert games');
select throws_ok($$update games set name = 'hacked'$$, '42501', null, 'anon cannot update games');
select throws_ok($$delete from games$$, '42501', null, 'anon cannot delete games');
select throws_ok($$delete from predictions$$, '42501', null, 'anon cannot delete predictions');
select throws_ok(
  $$insert into powerball_draws values ('2099-01-03', 1, 2, 3, 4, 5, 6, 2)$$,
  '42501', null, 'anon cannot insert powerball_draws');
select throws_ok($$update prize_tiers set prizes_remaining = 0$$, '42501', null,
  'anon cannot update prize_tiers');
select throws_ok($$delete from historical_snapshots$$, '42501', null,
  'anon cannot delete historical_snapshots');
select throws_ok($$insert into model_registry (name, version, sha256, onnx, manifest)
  values ('x', 'v', repeat('0', 64), '\x00', '{}')$$, '42501', null,
  'anon cannot insert model_registry');
reset role;

-- authenticated: the same
set local role authenticated;
select isnt_empty($$select 1 from games where game_number = 'T-1'$$, 'authenticated reads games');
select lives_ok($$select * from predictions$$, 'authenticated reads predictions');
select throws_ok($$select * from model_registry$$, '42501', null,
  'authenticated cannot read model_registry');
select throws_ok(
  $$insert into predictions (game_id, prediction_date, model_version, ai_score, win_probability,
    expected_value, confidence_level, recommendation, reasoning)
    select id, '2026-01-01', 'v', 50, 0.2, -1, 50, 'neutral', 'r' from games limit 1$$,
  '42501', null, 'authenticated cannot insert predictions');
select throws_ok($$update games set is_active = false$$, '42501', null,
  'authenticated cannot update games');
select throws_ok($$delete from powerball_draws$$, '42501', null,
  'authenticated cannot delete powerball_draws');
select throws_ok($$update model_registry set is_active = true$$, '42501', null,
  'authenticated cannot update model_registry');
reset role;

-- service_role: writes everything
set local role service_role;
select lives_ok(
  $$insert into predictions (game_id, prediction_date, model_version, ai_score, win_probability,
    expected_value, confidence_level, recommendation, reasoning)
    select id, '2026-01-01', 'v', 50, 0.2, -1, 50, 'neutral', 'r' from games
    where game_number = 'T-1'$$,
  'service_role inserts predictions');
select lives_ok($$update games set name = 'renamed' where game_number = 'T-1'$$,
  'service_role updates games');
select isnt_empty($$select 1 from model_registry where name = 'm'$$,
  'service_role reads model_registry');
select lives_ok($$update model_registry set is_active = true where name = 'm'$$,
  'service_role activates a model');
select lives_ok($$insert into powerball_draws values ('2099-01-03', 1, 2, 3, 4, 5, 6, 2)$$,
  'service_role inserts powerball_draws');
select lives_ok($$delete from predictions where model_version = 'v'$$,
  'service_role deletes predictions');
reset role;

-- Row level security is on for every table.
select ok(bool_and(c.relrowsecurity), 'row level security on every public table')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind = 'r';
select is(count(*)::int, 10,
  'ten public tables (six of the app, three of the daily loop, model_performance)')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind = 'r';
select is(count(*)::int, 0, 'no policy on model_registry')
from pg_policies where tablename = 'model_registry';
select ok(has_table_privilege('anon', 'public.model_performance', 'SELECT')
  and has_table_privilege('anon', 'public.model_performance_30d', 'SELECT')
  and not has_table_privilege('anon', 'public.model_performance', 'INSERT')
  and not has_table_privilege('authenticated', 'public.model_performance', 'UPDATE'),
  'the scorecard: anon and authenticated read model_performance and its view, write nothing');
select ok(not has_table_privilege('anon', 'public.games', 'INSERT'),
  'default grants revoked: anon has no INSERT privilege');

select * from finish();
rollback;
