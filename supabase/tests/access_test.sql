-- Who may read and write what (DESIGN.md, Database): anon and authenticated read the public tables
-- and write nothing; neither reaches model_registry; the service role writes.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(53);

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
select lives_ok($$select * from prize_tier_snapshots$$, 'anon reads prize_tier_snapshots');
select lives_ok($$select * from active_games_with_predictions$$,
  'anon reads active_games_with_predictions');
select lives_ok($$select game_name, price, top_prize, status, launch_date, game_start_date,
  tickets_remaining_estimate, created_at, updated_at from games$$, 'anon reads the app''s games columns');
select lives_ok($$select id, game_id, prize_amount, total_prizes, remaining_prizes, odds, created_at,
  updated_at from prize_tiers$$, 'anon reads the app''s prize_tiers columns');
select lives_ok($$select remaining_top_prizes, expected_value, tickets_remaining_estimate,
  days_since_launch, top_prize_depletion_rate from historical_snapshots$$,
  'anon reads the app''s historical_snapshots columns');
select lives_ok($$select features_used from predictions$$, 'anon reads predictions.features_used');
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
-- The app's views join tables, so nothing can be written through them (55000), and anon holds no
-- write privilege on them either (checked below).
select throws_ok($$update prize_tiers set remaining_prizes = 0$$, '55000', null,
  'anon cannot update prize_tiers');
select throws_ok($$delete from historical_snapshots$$, '42501', null,
  'anon cannot delete historical_snapshots');
select throws_ok($$insert into model_registry (name, version, sha256, onnx, manifest)
  values ('x', 'v', repeat('0', 64), '\x00', '{}')$$, '42501', null,
  'anon cannot insert model_registry');
select throws_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) select id, '2026-01-01', 1, '$5', 5, 10, 4
  from games$$, '42501', null, 'anon cannot insert prize_tier_snapshots');
select throws_ok($$update prize_tier_snapshots set prizes_remaining = 0$$, '42501', null,
  'anon cannot update prize_tier_snapshots');
select throws_ok($$insert into prize_tiers (game_id, prize_amount) select id, 5 from games$$,
  '55000', null, 'anon cannot insert into the prize_tiers view');
select throws_ok($$delete from active_games_with_predictions$$, '55000', null,
  'anon cannot delete through active_games_with_predictions');
select throws_ok($$update predictions set features_used = '{}'$$, '42501', null,
  'anon cannot update predictions.features_used');
select throws_ok($$select refresh_ticket_estimates(array[1::bigint])$$, '42501', null,
  'anon cannot run the derived-value functions');
reset role;

-- authenticated: the same
set local role authenticated;
select isnt_empty($$select 1 from games where game_number = 'T-1'$$, 'authenticated reads games');
select lives_ok($$select * from prize_tiers$$, 'authenticated reads prize_tiers');
select lives_ok($$select * from active_games_with_predictions$$,
  'authenticated reads active_games_with_predictions');
select throws_ok($$delete from prize_tier_snapshots$$, '42501', null,
  'authenticated cannot delete prize_tier_snapshots');
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
select is(count(*)::int, 12,
  'twelve public tables (six of the app, three of the daily loop, model_performance, two of the '
  'daily schedule''s recovery)')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind = 'r';
select is(count(*)::int, 0, 'no policy on model_registry')
from pg_policies where tablename = 'model_registry';
select ok(has_table_privilege('anon', 'public.model_performance', 'SELECT')
  and has_table_privilege('anon', 'public.model_performance_30d', 'SELECT')
  and not has_table_privilege('anon', 'public.model_performance', 'INSERT')
  and not has_table_privilege('authenticated', 'public.model_performance', 'UPDATE'),
  'the scorecard: anon and authenticated read model_performance and its view, write nothing');
select ok(bool_and(c.reloptions @> array['security_invoker=true']),
  'the app''s views run as the caller (its grants and row level security apply)')
from pg_class c
where c.oid in ('public.prize_tiers'::regclass, 'public.active_games_with_predictions'::regclass);
select is(array_agg(format('%s.%s', c.relname, a.attname)), null,
  'every column of the app''s tables and views has a comment')
from pg_attribute a join pg_class c on c.oid = a.attrelid
where c.relnamespace = 'public'::regnamespace and a.attnum > 0 and not a.attisdropped
  and c.relname in ('games', 'prize_tier_snapshots', 'prize_tiers', 'historical_snapshots',
    'predictions', 'active_games_with_predictions')
  and col_description(c.oid, a.attnum) is null;
select ok(not has_table_privilege(r, v, 'INSERT, UPDATE, DELETE, TRUNCATE'),
  format('%s holds no write privilege on %s', r, v))
from unnest(array['anon', 'authenticated']) r,
  unnest(array['public.prize_tiers', 'public.active_games_with_predictions']) v;
select ok(not has_table_privilege('anon', 'public.games', 'INSERT'),
  'default grants revoked: anon has no INSERT privilege');

select * from finish();
rollback;
