-- Issue 19: whether a game's overall odds are the state's published figure or derived by the feed
-- adapter (IGT's instant-games layout, NJ, SD, GA, publishes none: the adapter stores tickets
-- printed / all tiers' winning tickets). The existing columns keep their meaning; a game whose
-- odds were published (every game before this column) is false.
alter table public.games add column if not exists odds_derived boolean not null default false;
comment on column public.games.odds_derived is 'True when overall_odds was not published by the state but derived by the feed adapter from tickets printed / prizes printed (IGT layout: NJ, SD, GA).';
