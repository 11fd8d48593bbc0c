-- The scorecard (DESIGN.md, Daily schedule; issue 15): every served prediction is scored when its
-- 14-day horizon has closed and its outcome snapshot exists, by the `scorecard` function, which
-- pg_cron calls after the daily batch. One row per (model_version, day the predictions were
-- served); a rerun changes nothing.

-- What the batch served, so the scorecard can score it later: the forecast ev_per_dollar 14 days
-- out (mean of the two regressors) and the top-prize claim probability (mean of the classifiers).
alter table public.predictions
  add column forecast_ev_per_dollar double precision,
  add column top_prize_claim_probability double precision
    check (top_prize_claim_probability between 0 and 1);

-- The app's model_performance columns (Domnoval/hackscratcher, 001_initial_schema.sql: id,
-- model_version, evaluation_date, accuracy, precision_score, recall_score, f1_score,
-- mean_absolute_error, test_set_size, training_set_size, notes, created_at; unique
-- (model_version, evaluation_date)), one meaning each, plus the baselines that give them meaning.
create table public.model_performance (
  id bigint generated always as identity primary key,
  model_version text not null check (length(model_version) > 0),
  evaluation_date date not null, -- the day the scored predictions were served
  outcome_date date not null, -- the day their 14-day horizon closed (latest as-of date + 14)
  test_set_size integer not null check (test_set_size > 0), -- predictions scored
  training_set_size integer,
  -- ev_change_14d: mean absolute error of the served forecast change, and of the baselines
  mean_absolute_error double precision not null,
  mae_persistence double precision not null, -- no change
  mae_trend double precision not null, -- the last 14 days' change repeated
  skill_persistence double precision, -- 1 - MAE / MAE_baseline; null when the baseline is exact
  skill_trend double precision,
  -- top_prize_claim_14d: Brier score of the served probability and of the baselines (base rate
  -- and the game's own rate, from the labels known on the day served); the app's accuracy,
  -- precision, recall and F1 of "a top prize will be claimed" at probability 0.5
  n_claim integer,
  claim_rate double precision,
  brier double precision,
  brier_base_rate double precision,
  brier_game_rate double precision,
  brier_skill_base_rate double precision,
  brier_skill_game_rate double precision,
  accuracy double precision check (accuracy between 0 and 1),
  precision_score double precision check (precision_score between 0 and 1),
  recall_score double precision check (recall_score between 0 and 1),
  f1_score double precision check (f1_score between 0 and 1),
  -- ranking: Spearman correlation of the realized change with ai_score, and with today's
  -- ev_per_dollar alone (if the second is as high, ai_score adds nothing beyond arithmetic)
  spearman_ai_score double precision check (spearman_ai_score between -1 and 1),
  spearman_ev_per_dollar double precision check (spearman_ev_per_dollar between -1 and 1),
  -- per recommendation class: {"buy": {"n", "mean_realized_change", "hits", "hit_rate"}, ...}
  classes jsonb not null default '{}'::jsonb,
  notes text not null, -- plain words: what the model did not beat that day
  created_at timestamptz not null default now(),
  unique (model_version, evaluation_date),
  check (outcome_date >= evaluation_date)
);
create index model_performance_evaluation_date on public.model_performance (evaluation_date);

revoke all on public.model_performance from anon, authenticated;
grant select on public.model_performance to anon, authenticated;
grant all on public.model_performance to service_role;
alter table public.model_performance enable row level security;
create policy "public read" on public.model_performance
  for select to anon, authenticated using (true);

-- "How our forecasts did in the last 30 days": per model version, the days served in the 30 days
-- up to its latest scored day (scored_through says which: the data may be older than today),
-- pooled over predictions (each day weighted by its count).
create view public.model_performance_30d with (security_invoker = true) as
with recent as (
  select * from (
    select m.*, max(m.evaluation_date) over (partition by m.model_version) as latest
    from public.model_performance m
  ) m
  where m.evaluation_date > m.latest - 30
),
pooled as (
  select
    model_version,
    min(evaluation_date) as first_day,
    max(evaluation_date) as scored_through,
    count(*)::integer as days,
    sum(test_set_size)::integer as predictions,
    sum(mean_absolute_error * test_set_size) / sum(test_set_size) as mean_absolute_error,
    sum(mae_persistence * test_set_size) / sum(test_set_size) as mae_persistence,
    sum(mae_trend * test_set_size) / sum(test_set_size) as mae_trend,
    sum(brier * n_claim) / nullif(sum(n_claim), 0) as brier,
    sum(brier_base_rate * n_claim) / nullif(sum(n_claim), 0) as brier_base_rate,
    sum(brier_game_rate * n_claim) / nullif(sum(n_claim), 0) as brier_game_rate,
    (count(*) filter (where mean_absolute_error >= mae_persistence))::integer
      as days_not_beating_persistence,
    (count(*) filter (where mean_absolute_error >= mae_trend))::integer as days_not_beating_trend,
    avg(spearman_ai_score) as mean_daily_spearman_ai_score,
    avg(spearman_ev_per_dollar) as mean_daily_spearman_ev_per_dollar,
    (
      select jsonb_object_agg(label, jsonb_build_object(
        'n', n, 'hit_rate', case when hits_n > 0 then hits::float8 / hits_n end,
        'mean_realized_change', total / n))
      from (
        select c.key as label, sum((c.value ->> 'n')::int) as n,
          sum((c.value ->> 'hits')::int) as hits,
          sum(case when c.value ->> 'hits' is not null then (c.value ->> 'n')::int end) as hits_n,
          sum((c.value ->> 'mean_realized_change')::float8 * (c.value ->> 'n')::int) as total
        from recent r2, jsonb_each(r2.classes) c
        where r2.model_version = recent.model_version
        group by c.key
      ) classes
    ) as classes
  from recent
  group by model_version
)
select
  p.*,
  1 - p.mean_absolute_error / nullif(p.mae_persistence, 0) as skill_persistence,
  1 - p.mean_absolute_error / nullif(p.mae_trend, 0) as skill_trend,
  1 - p.brier / nullif(p.brier_base_rate, 0) as brier_skill_base_rate,
  1 - p.brier / nullif(p.brier_game_rate, 0) as brier_skill_game_rate,
  coalesce(nullif(concat_ws(' ',
    case when p.mean_absolute_error >= p.mae_persistence
      then 'The EV forecast did no better than assuming no change.' end,
    case when p.mean_absolute_error >= p.mae_trend
      then 'The EV forecast did no better than repeating the last 14 days'' trend.'
    when p.mean_absolute_error > 0.9 * p.mae_trend
      then format('The EV forecast beat repeating the last 14 days'' trend by only %s%%'
        || ' (and not on %s of %s days).',
        round((100 * (1 - p.mean_absolute_error / p.mae_trend))::numeric),
        p.days_not_beating_trend, p.days) end,
    case when p.brier >= p.brier_game_rate
      then 'The claim probability did no better than each game''s own past rate.' end,
    case when p.mean_daily_spearman_ai_score <= p.mean_daily_spearman_ev_per_dollar
      then 'ai_score ranked games no better than today''s EV per dollar alone: the model added'
        || ' nothing beyond arithmetic to the ranking.'
    when p.mean_daily_spearman_ai_score < p.mean_daily_spearman_ev_per_dollar + 0.05
      then format('ai_score ranked games barely better than today''s EV per dollar alone'
        || ' (mean daily Spearman %s vs %s): the ranking is mostly today''s arithmetic.',
        round(p.mean_daily_spearman_ai_score::numeric, 2),
        round(p.mean_daily_spearman_ev_per_dollar::numeric, 2)) end
  ), ''), 'Beat every baseline clearly, including ranking by today''s EV per dollar.') as verdict
from pooled p;

grant select on public.model_performance_30d to anon, authenticated, service_role;

-- After the daily batch (08:00 UTC): score what has become scoreable. Same call as the batch's
-- job (Vault secrets, explicit timeout); results in net._http_response and model_performance.
select cron.schedule(
  'scorecard',
  '30 8 * * *',
  $$
  select net.http_post(
    url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
      || '/functions/v1/scorecard',
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || (
        select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key'
      )
    ),
    body := jsonb_build_object('run_date', (now() at time zone 'utc')::date),
    timeout_milliseconds := 60000
  ) as request_id;
  $$
);
