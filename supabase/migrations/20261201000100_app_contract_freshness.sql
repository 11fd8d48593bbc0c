-- The app's data contract (20261130225000_app_contract_schema.sql), completed with what the scorecard
-- (20261130230000) and the daily loop (20261201000000) added to predictions: their meaning in the
-- schema, and the latest prediction's data_as_of in active_games_with_predictions, so the app can
-- say how old the data behind a score is (a late feed makes it older than prediction_date).

-- Columns can only be appended to a view; the ones before keep their names, grants and comments.
create or replace view public.active_games_with_predictions with (security_invoker = true) as
select g.id, g.game_number, g.game_name, g.name, g.ticket_price, g.price, g.overall_odds,
  g.top_prize_amount, g.top_prize, g.total_top_prizes, g.remaining_top_prizes, g.is_active,
  g.status, g.game_start_date, g.launch_date, g.created_at, g.updated_at, g.total_tickets_printed,
  g.tickets_remaining_estimate, g.state, g.last_scraped_at,
  p.ai_score, p.confidence_level, p.recommendation, p.reasoning, p.win_probability,
  p.expected_value, p.prediction_date, p.model_version, p.created_at as prediction_created_at,
  p.data_as_of
from public.games g
left join lateral (select * from public.predictions x where x.game_id = g.id
                   order by x.prediction_date desc, x.created_at desc, x.id desc limit 1) p on true
where g.is_active
order by g.game_number desc;

comment on column public.predictions.data_as_of is 'As-of date of the data the prediction was computed from (the game''s latest snapshot on or before prediction_date; features_used.snapshot_date).';
comment on column public.predictions.forecast_ev_per_dollar is 'The served forecast of ev_per_dollar 14 days after data_as_of (mean of the two regressors); the scorecard scores it.';
comment on column public.predictions.top_prize_claim_probability is 'The served probability that a top prize is claimed within 14 days (mean of the classifiers); the scorecard scores it.';
comment on column public.active_games_with_predictions.data_as_of is 'As-of date of the data of the latest prediction (older than prediction_date when the feed is late).';
