-- The app's data contract (DESIGN.md, Database): the names both app generations read, kept by the
-- database whatever writes the rows. Generated columns, the trigger-kept values (updated_at,
-- launch_date, days_since_launch, top_prize_depletion_rate, tickets_remaining_estimate) and the
-- two views: prize_tiers (the latest day's tiers) and active_games_with_predictions.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(27);

-- State ZZ: game A on sale from the first day on record (2026-01-01), B appears on 2026-01-05.
insert into games (state, game_number, name, ticket_price, overall_odds, total_tickets_printed,
  top_prize_amount, first_seen, is_active)
values ('ZZ', 'A', 'Alpha', 5, 4.0, 1000000, 50000, '2026-01-01', true),
       ('ZZ', 'B', 'Beta', 10, 3.5, null, 100000, '2026-01-05', false);

-- ---- generated names --------------------------------------------------------------------------
select results_eq(
  $$select game_name, price, top_prize, status from games where state = 'ZZ' order by game_number$$,
  $$values ('Alpha', 5.00::numeric(10, 2), 50000.00::numeric(14, 2), 'PUBLISHED'),
           ('Beta', 10.00, 100000.00, 'RETIRED')$$,
  'games: game_name, price, top_prize and status follow name, ticket_price, top_prize_amount, is_active');
update games set is_active = true where state = 'ZZ' and game_number = 'B';
select is((select status from games where state = 'ZZ' and game_number = 'B'), 'PUBLISHED',
  'games: status follows an update of is_active');

-- ---- updated_at --------------------------------------------------------------------------------
-- Old times to compare with (the trigger would set any update's updated_at to now()).
alter table games disable trigger games_touch;
update games set updated_at = '2020-01-01', created_at = '2020-01-01' where state = 'ZZ';
alter table games enable trigger games_touch;
update games set name = 'Alpha 2' where state = 'ZZ' and game_number = 'A';
select results_eq(
  $$select game_number, updated_at = now(), created_at = '2020-01-01' from games
    where state = 'ZZ' order by game_number$$,
  $$values ('A', true, true), ('B', false, true)$$,
  'games: an update moves updated_at of the changed row only; created_at stays');

-- ---- launch_date -------------------------------------------------------------------------------
select results_eq(
  $$select game_number, launch_date, game_start_date from games where state = 'ZZ'
    order by game_number$$,
  $$values ('A', null::date, null::date), ('B', '2026-01-05'::date, '2026-01-05'::date)$$,
  'launch_date: observed for a game that appeared after the state''s first day, else null');
insert into games (state, game_number, name, ticket_price, first_seen)
values ('ZZ', 'C', 'Gamma', 1, '2025-12-31');
select results_eq(
  $$select game_number, launch_date from games where state = 'ZZ' order by game_number$$,
  $$values ('A', '2026-01-01'::date), ('B', '2026-01-05'::date), ('C', null::date)$$,
  'launch_date: an earlier first day on record (a backfill) recomputes the state''s games');

-- ---- historical_snapshots: generated names and trigger-kept values ---------------------------
create temp table snap (day int, top_left bigint, tickets_left float8) on commit drop;
insert into snap values (9, 6, 700000.4), (10, 6, 690000.6), (11, 5, 680000), (12, 5, 670000),
  (13, 4, 660000);
-- Later days first: day 13's window (days 6-12) holds only days 9-12 so far.
insert into historical_snapshots (game_id, snapshot_date, n_tiers, ticket_price, odds_published,
  top_prizes_left, tickets_left, net_ev, ev_per_dollar)
select g.id, date '2026-01-01' + s.day - 1, 5, 10, true, s.top_left, s.tickets_left,
  -3.5 - s.day / 100.0, 0.65
from snap s, games g where g.state = 'ZZ' and g.game_number = 'B';
select results_eq(
  $$select h.remaining_top_prizes, h.expected_value, h.tickets_remaining_estimate
    from historical_snapshots h join games g on g.id = h.game_id
    where g.state = 'ZZ' and g.game_number = 'B' and h.snapshot_date = '2026-01-09'$$,
  $$values (6::bigint, -3.59::float8, 700000::bigint)$$,
  'historical_snapshots: remaining_top_prizes, expected_value (net dollars), tickets_remaining_estimate');
select is(
  (select top_prize_depletion_rate from historical_snapshots h join games g on g.id = h.game_id
   where g.state = 'ZZ' and g.game_number = 'B' and h.snapshot_date = '2026-01-13'),
  (6 - 4) / 4.0::float8,
  'depletion rate: top prizes claimed per day since the earliest snapshot of the 7 days before');
select is(
  (select top_prize_depletion_rate from historical_snapshots h join games g on g.id = h.game_id
   where g.state = 'ZZ' and g.game_number = 'B' and h.snapshot_date = '2026-01-09'),
  null, 'depletion rate: null on the first day of a game''s record');
select is(
  (select tickets_remaining_estimate from games where state = 'ZZ' and game_number = 'B'),
  660000::bigint, 'games.tickets_remaining_estimate: the latest snapshot''s estimate');

-- The earlier days arrive afterwards (a backfill): the rates of the days after them are redone.
delete from snap;
insert into snap values (5, 8, 750000), (6, 8, 740000), (7, 7, 730000), (8, 7, 720000);
insert into historical_snapshots (game_id, snapshot_date, n_tiers, ticket_price, odds_published,
  top_prizes_left, tickets_left, net_ev, ev_per_dollar)
select g.id, date '2026-01-01' + s.day - 1, 5, 10, true, s.top_left, s.tickets_left, -3.5, 0.65
from snap s, games g where g.state = 'ZZ' and g.game_number = 'B';
select results_eq(
  $$select h.snapshot_date, h.days_since_launch, h.top_prize_depletion_rate
    from historical_snapshots h join games g on g.id = h.game_id
    where g.state = 'ZZ' and g.game_number = 'B' order by h.snapshot_date$$,
  $$values ('2026-01-05'::date, 0, null::float8), ('2026-01-06', 1, 0.0), ('2026-01-07', 2, 0.5),
           ('2026-01-08', 3, 1 / 3.0), ('2026-01-09', 4, 2 / 4.0), ('2026-01-10', 5, 2 / 5.0),
           ('2026-01-11', 6, 3 / 6.0), ('2026-01-12', 7, 3 / 7.0), ('2026-01-13', 8, 4 / 7.0)$$,
  'days_since_launch and the 7-day depletion rate of every day, whatever order days arrive in');
select is(
  (select tickets_remaining_estimate from games where state = 'ZZ' and game_number = 'B'),
  660000::bigint, 'games.tickets_remaining_estimate: an older snapshot does not replace the latest');
select is(
  (select days_since_launch from historical_snapshots h join games g on g.id = h.game_id
   where g.state = 'ZZ' and g.game_number = 'A' limit 1), null,
  'days_since_launch: null for a game whose launch was not observed (no rows here: null)');

-- A write that changes nothing moves nothing.
alter table games disable trigger games_touch;
update games set updated_at = '2020-01-01' where state = 'ZZ';
alter table games enable trigger games_touch;
insert into historical_snapshots (game_id, snapshot_date, n_tiers, ticket_price, odds_published,
  top_prizes_left, tickets_left, net_ev, ev_per_dollar)
select g.id, '2026-01-13', 5, 10, true, 4, 660000, -3.63, 0.65
from games g where g.state = 'ZZ' and g.game_number = 'B'
on conflict (game_id, snapshot_date) do nothing;
select is((select count(*)::int from games where state = 'ZZ' and updated_at <> '2020-01-01'), 0,
  'a snapshot write that changes nothing leaves the games untouched');

-- ---- prize_tiers: one row per tier of the game's latest snapshot ------------------------------
-- Keyed by tier index (1: the advertised top prize); rows arrive in no particular order.
insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label, prize_amount,
  prizes_printed, prizes_remaining)
select g.id, d.day, t.tier, t.label, t.prize, t.printed, t.printed - d.claimed
from games g,
  (values ('2026-01-01'::date, 0), ('2026-01-02'::date, 1)) d(day, claimed),
  (values (3, '$5', 5, 100000), (1, '$50,000', 50000, 4), (2, '$50', 50, 2000))
    t(tier, label, prize, printed)
where g.state = 'ZZ' and g.game_number in ('A', 'B');
insert into prize_tier_snapshots (game_id, snapshot_date, tier_index, prize_label, prize_amount,
  prizes_printed, prizes_remaining)
select id, '2026-01-01', 1, '$1', 1, 10, 10 from games where state = 'ZZ' and game_number = 'C';
select results_eq(
  $$select tier_index::int, prize_label, prize_amount, total_prizes, remaining_prizes, odds,
    snapshot_date
    from prize_tiers t join games g on g.id = t.game_id where g.state = 'ZZ' and g.game_number = 'A'$$,
  $$values (1, '$50,000', 50000.00::numeric(14, 2), 4::bigint, 3::bigint, '1 in 250000',
            '2026-01-02'::date),
           (2, '$50', 50000.00 / 1000, 2000, 1999, '1 in 500', '2026-01-02'),
           (3, '$5', 5.00, 100000, 99999, '1 in 10', '2026-01-02')$$,
  'prize_tiers: the latest day only, one row per tier, in tier order; odds from tickets printed');
select results_eq(
  $$select odds from prize_tiers t join games g on g.id = t.game_id
    where g.state = 'ZZ' and g.game_number = 'B'$$,
  $$values ('1 in 89253.5'), ('1 in 178.51'), ('1 in 3.57')$$,
  'prize_tiers: without tickets printed, odds from the overall odds x prizes printed');
select is(
  (select odds from prize_tiers t join games g on g.id = t.game_id
   where g.state = 'ZZ' and g.game_number = 'C'), null,
  'prize_tiers: neither tickets printed nor odds: no odds');
select ok(
  (select bool_and(t.id = s.id and t.game_id = s.game_id and t.created_at = s.created_at
     and t.updated_at = s.updated_at)
   from prize_tiers t join prize_tier_snapshots s on s.id = t.id
   join games g on g.id = t.game_id where g.state = 'ZZ'),
  'prize_tiers: id, created_at and updated_at are those of the latest day''s tier row');
select is(
  (select count(*)::int from prize_tiers t join games g on g.id = t.game_id
   where g.state = 'ZZ'), 7, 'prize_tiers: 3 + 3 + 1 tiers, no history rows');

-- ---- active_games_with_predictions ------------------------------------------------------------
update games set is_active = (game_number <> 'C') where state = 'ZZ';
insert into predictions (game_id, prediction_date, model_version, ai_score, win_probability,
  expected_value, confidence_level, recommendation, reasoning, features_used, data_as_of)
select g.id, p.day, p.version, p.score, 0.25, -1.5, 50, 'neutral', 'Net EV is negative.', '{}',
  '2026-01-02'
from games g,
  (values ('2026-01-02'::date, 'v1', 30.0), ('2026-01-03'::date, 'v1', 55.0)) p(day, version, score)
where g.state = 'ZZ' and g.game_number = 'A';
select results_eq(
  $$select game_number, game_name, status, ai_score, prediction_date, data_as_of
    from active_games_with_predictions where state = 'ZZ'$$,
  $$values ('B', 'Beta', 'PUBLISHED', null::float8, null::date, null::date),
           ('A', 'Alpha 2', 'PUBLISHED', 55.0, '2026-01-03', '2026-01-02')$$,
  'active_games_with_predictions: active games only, game_number descending, the latest prediction');
select is(
  (select count(*)::int from active_games_with_predictions where state = 'ZZ'), 2,
  'active_games_with_predictions: one row per active game (not one per prediction)');

-- ---- the same, as the app: anon reads them through row level security -------------------------
set local role anon;
select is((select count(*)::int from prize_tiers t join games g on g.id = t.game_id
  where g.state = 'ZZ'), 7, 'anon: prize_tiers');
select is((select count(*)::int from active_games_with_predictions where state = 'ZZ'), 2,
  'anon: active_games_with_predictions');
select is((select count(*)::int from historical_snapshots h join games g on g.id = h.game_id
  where g.state = 'ZZ'), 9, 'anon: historical_snapshots');
select throws_ok($$update games set is_active = false$$, '42501', null,
  'anon: cannot retire a game');
reset role;
-- A generated column takes no writes from anyone.
select throws_ok($$update games set status = 'RETIRED' where state = 'ZZ'$$, '428C9', null,
  'status is generated: only is_active sets it');
select throws_ok($$update historical_snapshots set expected_value = 1$$, '428C9', null,
  'expected_value is generated: only net_ev sets it');
-- Row level security reaches through the views (they run as the caller).
create policy "hide ZZ from anon" on prize_tier_snapshots as restrictive for select to anon
  using ((select state from games g where g.id = game_id) <> 'ZZ');
set local role anon;
select is((select count(*)::int from prize_tiers t join games g on g.id = t.game_id
  where g.state = 'ZZ'), 0, 'anon: a row level security policy on the history applies to the view');
reset role;

select * from finish();
rollback;
