-- Every constraint of the schema refuses what it should (and a valid row passes).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(35);

insert into games (state, game_number, name, ticket_price, first_seen)
values ('ZZ', 'C-1', 'Constraint game', 10, '2026-01-01');
create temp table g as select id from games where game_number = 'C-1';

-- games
select throws_ok($$insert into games (state, game_number, name, ticket_price, first_seen)
  values ('ZZ', 'C-1', 'dup', 1, '2026-01-01')$$, '23505', null, 'games: (state, game_number) unique');
select throws_ok($$insert into games (state, game_number, name, ticket_price, first_seen)
  values ('Texas', 'X', 'x', 1, '2026-01-01')$$, '23514', null, 'games: state is 2 letters');
select throws_ok($$insert into games (state, game_number, name, ticket_price, first_seen)
  values ('ZZ', '', 'x', 1, '2026-01-01')$$, '23514', null, 'games: game_number not empty');
select throws_ok($$insert into games (state, game_number, name, ticket_price, first_seen)
  values ('ZZ', 'X', '', 1, '2026-01-01')$$, '23514', null, 'games: name not empty');
select throws_ok($$insert into games (state, game_number, name, ticket_price, first_seen)
  values ('ZZ', 'X', 'x', 0, '2026-01-01')$$, '23514', null, 'games: ticket_price > 0');
select throws_ok($$insert into games (state, game_number, name, ticket_price, first_seen,
  overall_odds) values ('ZZ', 'X', 'x', 1, '2026-01-01', 0.5)$$, '23514', null,
  'games: overall_odds >= 1');
select throws_ok($$insert into games (state, game_number, name, ticket_price, first_seen,
  total_tickets_printed) values ('ZZ', 'X', 'x', 1, '2026-01-01', 0)$$, '23514', null,
  'games: total_tickets_printed > 0');
select throws_ok($$insert into games (state, game_number, name, ticket_price, first_seen,
  total_top_prizes, remaining_top_prizes) values ('ZZ', 'X', 'x', 1, '2026-01-01', 2, 3)$$,
  '23514', null, 'games: remaining_top_prizes <= total_top_prizes');
select throws_ok($$insert into games (state, game_number, name, ticket_price)
  values ('ZZ', 'X', 'x', 1)$$, '23502', null, 'games: first_seen required');

-- prize_tier_snapshots: keyed by (game, day, tier_index); two tiers may pay the same amount
select lives_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) select id, '2026-01-01', 1, '$5', 5, 10, 4 from g$$,
  'prize_tier_snapshots: a valid tier');
select lives_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) select id, '2026-01-01', 2, 'FREE $5 PLAY', 5,
  10, 4 from g$$, 'prize_tier_snapshots: a second tier of the same amount');
select throws_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) select id, '2026-01-01', 1, '$9', 9, 10, 4 from g$$,
  '23505', null, 'prize_tier_snapshots: (game, day, tier_index) unique');
select throws_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) select id, '2026-01-01', 0, '$9', 9, 10, 4 from g$$,
  '23514', null, 'prize_tier_snapshots: tier_index >= 1');
select throws_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_amount,
  prizes_printed, prizes_remaining) select id, '2026-01-01', 3, 9, 10, 4 from g$$,
  '23502', null, 'prize_tier_snapshots: prize_label required');
select throws_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) select id, '2026-01-01', 3, '$6', 6, 10, 11
  from g$$, '23514', null, 'prize_tier_snapshots: remaining <= printed');
select throws_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) select id, '2026-01-01', 3, '$7', 7, -1, 0
  from g$$, '23514', null, 'prize_tier_snapshots: printed >= 0');
select throws_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) select id, '2026-01-01', 3, '$8', 8, 1, -1
  from g$$, '23514', null, 'prize_tier_snapshots: remaining >= 0');
select throws_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) select id, '2026-01-01', 3, '$0', 0, 1, 1
  from g$$, '23514', null, 'prize_tier_snapshots: prize_amount > 0');
select throws_ok($$insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label,
  prize_amount, prizes_printed, prizes_remaining) values (-42, '2026-01-01', 1, '$1', 1, 1, 1)$$,
  '23503', null, 'prize_tier_snapshots: game must exist');

-- historical_snapshots
select throws_ok($$insert into historical_snapshots (game_id, snapshot_date, n_tiers,
  ticket_price, odds_published, ev_per_dollar, win_probability)
  select id, '2026-01-01', 3, 5, true, 0.6, 1.5 from g$$, '23514', null,
  'historical_snapshots: win_probability <= 1');
select throws_ok($$insert into historical_snapshots (game_id, snapshot_date, n_tiers,
  ticket_price, odds_published, ev_per_dollar, pct_sold)
  select id, '2026-01-01', 3, 5, true, 0.6, -0.1 from g$$, '23514', null,
  'historical_snapshots: pct_sold >= 0');
select throws_ok($$insert into historical_snapshots (game_id, snapshot_date, n_tiers,
  ticket_price, odds_published, reason, ev_per_dollar)
  select id, '2026-01-01', 3, 5, true, 'sold out', 0.6 from g$$, '23514', null,
  'historical_snapshots: a refused day has no metrics');

-- predictions
create temp table p as
  select id as game_id, date '2026-01-02' as prediction_date, 'v1'::text as model_version,
         50::float8 as ai_score, 0.25::float8 as win_probability, -1.5::float8 as expected_value,
         60::float8 as confidence_level, 'neutral'::text as recommendation,
         'Net EV is negative.'::text as reasoning
  from g;
select lives_ok($$insert into predictions (game_id, prediction_date, model_version, ai_score,
  win_probability, expected_value, confidence_level, recommendation, reasoning)
  select * from p$$, 'predictions: a valid row');
select throws_ok($$insert into predictions (game_id, prediction_date, model_version, ai_score,
  win_probability, expected_value, confidence_level, recommendation, reasoning)
  select * from p$$, '23505', null, 'predictions: (game, date, model_version) unique');
select throws_ok($$insert into predictions (game_id, prediction_date, model_version, ai_score,
  win_probability, expected_value, confidence_level, recommendation, reasoning)
  select game_id, prediction_date, 'v2', 101, win_probability, expected_value, confidence_level,
  recommendation, reasoning from p$$, '23514', null, 'predictions: ai_score <= 100');
select throws_ok($$insert into predictions (game_id, prediction_date, model_version, ai_score,
  win_probability, expected_value, confidence_level, recommendation, reasoning)
  select game_id, prediction_date, 'v2', ai_score, 1.01, expected_value, confidence_level,
  recommendation, reasoning from p$$, '23514', null, 'predictions: win_probability <= 1');
select throws_ok($$insert into predictions (game_id, prediction_date, model_version, ai_score,
  win_probability, expected_value, confidence_level, recommendation, reasoning)
  select game_id, prediction_date, 'v2', ai_score, win_probability, expected_value, -1,
  recommendation, reasoning from p$$, '23514', null, 'predictions: confidence_level >= 0');
select throws_ok($$insert into predictions (game_id, prediction_date, model_version, ai_score,
  win_probability, expected_value, confidence_level, recommendation, reasoning)
  select game_id, prediction_date, 'v2', ai_score, win_probability, expected_value,
  confidence_level, 'yolo', reasoning from p$$, '23514', null,
  'predictions: recommendation is one of five');

-- model_registry
select throws_ok($$insert into model_registry (name, version, sha256, onnx, manifest)
  values ('m', 'v1', repeat('a', 64), '\x01', '{}')$$, '23514', null,
  'model_registry: sha256 must match the bytes');
insert into model_registry (name, version, sha256, onnx, manifest, is_active)
values ('m', 'v1', encode(sha256('\x01'::bytea), 'hex'), '\x01', '{}', true);
select throws_ok($$insert into model_registry (name, version, sha256, onnx, manifest, is_active)
  values ('m', 'v2', encode(sha256('\x02'::bytea), 'hex'), '\x02', '{}', true)$$, '23505', null,
  'model_registry: at most one active version per name');

-- powerball_draws
select throws_ok($$insert into powerball_draws values ('2015-10-03', 1, 2, 3, 4, 5, 6, 2)$$,
  '23514', null, 'powerball_draws: not before the current matrix');
select throws_ok($$insert into powerball_draws values ('2020-01-01', 1, 2, 3, 4, 70, 6, 2)$$,
  '23514', null, 'powerball_draws: white balls 1-69');
select throws_ok($$insert into powerball_draws values ('2020-01-01', 1, 2, 3, 4, 5, 27, 2)$$,
  '23514', null, 'powerball_draws: powerball 1-26');
select throws_ok($$insert into powerball_draws values ('2020-01-01', 1, 2, 2, 4, 5, 6, 2)$$,
  '23514', null, 'powerball_draws: five distinct sorted white balls');
select throws_ok($$insert into powerball_draws values ('2020-01-01', 1, 2, 3, 4, 5, 6, 7)$$,
  '23514', null, 'powerball_draws: power_play is a real multiplier');

select * from finish();
rollback;
