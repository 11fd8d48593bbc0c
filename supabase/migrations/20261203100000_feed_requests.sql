-- Feed sources as real feeds need them (docs/states-and-feeds.md): an ordered list of requests
-- (URL, method, headers, body; a template expanded over the ids an earlier document lists, one
-- request per game), caps on a state's run (requests, concurrency, time-out per state), the
-- state's time zone (it dates the as-of of a feed that carries no date), and a row for every state
-- whose official feed is known. The archive keeps each request's method and body, and the
-- Last-Modified its answer carried, so that `python -m trainer ingest --archive` can re-read a
-- state's days as the fetch saw them.

-- requests: a JSON array of {"url", "method": "GET"|"POST", "headers": {..}, "body": "..",
-- "each": k}; a request with "each": k has "{id}" in its url and is expanded into one request per
-- id that the state's adapter lists in the document of request k (k earlier, not a template).
-- The ingest function and trainer/scratchoff/feeds/fetch.py check the rest and refuse the state's
-- run naming the request and the field.
alter table public.feed_sources
  add column requests jsonb,
  add column max_requests integer not null default 300 check (max_requests between 1 and 2000),
  add column concurrency integer not null default 4 check (concurrency between 1 and 16),
  add column state_timeout_ms integer not null default 60000
    check (state_timeout_ms between 1000 and 300000),
  add column time_zone text not null default 'America/New_York'
    -- an unknown zone name fails here with PostgreSQL's "time zone ... not recognized"
    check ((timestamptz '2026-01-01 00:00+00' at time zone time_zone) is not null);
alter table public.feed_sources alter column urls drop not null;

-- `urls` (plain GETs, the first form of a source) stays writable: a row given only urls gets the
-- same requests; a row given requests drops its urls (requests are the truth from here on).
create function public.feed_sources_requests() returns trigger language plpgsql as $$
begin
  if new.requests is null or (tg_op = 'UPDATE' and new.urls is distinct from old.urls
      and new.requests is not distinct from old.requests) then
    new.requests := (select jsonb_agg(jsonb_build_object('url', u, 'method', 'GET') order by n)
                     from unnest(new.urls) with ordinality as t(u, n));
  elsif tg_op = 'INSERT' or new.requests is distinct from old.requests then
    new.urls := null;
  end if;
  return new;
end $$;
create trigger feed_sources_requests before insert or update on public.feed_sources
  for each row execute function public.feed_sources_requests();

update public.feed_sources set requests = null; -- the trigger derives them from urls
alter table public.feed_sources
  alter column requests set not null,
  add constraint feed_sources_requests_list check (
    jsonb_typeof(requests) = 'array' and jsonb_array_length(requests) between 1 and 16
  );

comment on column public.feed_sources.requests is
  'Ordered requests of one snapshot: [{"url", "method" GET|POST, "headers" {..}, "body" "..", '
  '"each" k}]; "each": k expands the request (its url holds {id}) over the ids the adapter lists '
  'in the document of request k.';
comment on column public.feed_sources.max_requests is
  'A run needing more requests (templates expanded) fails, naming the count.';
comment on column public.feed_sources.concurrency is 'Requests of one state in flight at once.';
comment on column public.feed_sources.timeout_ms is 'Time-out of each request.';
comment on column public.feed_sources.state_timeout_ms is 'Time-out of the state''s whole fetch.';
comment on column public.feed_sources.time_zone is
  'The state''s time zone: dates the as-of of a feed whose documents carry no date.';

-- The archive keeps what was asked (method, body) beside the answer and its Last-Modified. The
-- same answer to the same request is stored once.
alter table public.feed_payloads
  add column method text not null default 'GET' check (method in ('GET', 'POST')),
  add column request_body text not null default '',
  add column last_modified text;
alter table public.feed_payloads drop constraint feed_payloads_state_url_sha256_key;
alter table public.feed_payloads
  add constraint feed_payloads_request_sha256_key unique (state, method, url, request_body, sha256);

-- Every state whose official feed is known (URLs: trainer/data/feeds/README.md and the project's
-- shared data README, September 2026). Layout = the state's adapter. The local stack rewrites
-- every URL onto its loopback feed server (scripts/stack).
insert into public.feed_sources (state, layout, requests, time_zone) values
  ('TX', 'TX', '[
     {"url": "https://www.texaslottery.com/export/sites/lottery/Games/Scratch_Offs/scratchoff.csv", "method": "GET"},
     {"url": "https://www.texaslottery.com/export/sites/lottery/Games/Scratch_Offs/all.html", "method": "GET"},
     {"url": "https://www.texaslottery.com/export/sites/lottery/Games/Scratch_Offs/details.html_{id}.html", "method": "GET", "each": 1}
   ]', 'America/Chicago'),
  ('NY', 'NY', '[
     {"url": "https://data.ny.gov/resource/nzqa-7unk.json?$limit=50000", "method": "GET"},
     {"url": "https://nylottery.ny.gov/drupal-api/api/v2/scratch_off_data?_format=json", "method": "GET"}
   ]', 'America/New_York'),
  ('MA', 'MA', '[
     {"url": "https://www.masslottery.com/api/v1/games", "method": "GET"},
     {"url": "https://www.masslottery.com/api/v1/instant-game-prizes?gameID={id}", "method": "GET", "each": 0}
   ]', 'America/New_York'),
  ('NJ', 'NJ', '[
     {"url": "https://www.njlottery.com/api/v1/instant-games/games?size=1000", "method": "GET"}
   ]', 'America/New_York'),
  ('SD', 'SD', '[
     {"url": "https://lottery.sd.gov/api/igt/games/v1/instant-games/games", "method": "GET"}
   ]', 'America/Chicago'),
  ('GA', 'GA', '[
     {"url": "https://www.galottery.com/api/v1/instant-games/games?size=500", "method": "GET"}
   ]', 'America/New_York'),
  ('MI', 'MI', '[
     {"url": "https://www.michiganlottery.com/api/graphql", "method": "POST",
      "headers": {"content-type": "application/json"},
      "body": "{\"query\": \"{ getRetailTopPrizesRemainingByGameType(gameType: \\\"INSTANT\\\") { cms_game_igt_id game_name prizesRemainingData { prize_level prize_amount prizes_remaining starting_amount } } }\"}"},
     {"url": "https://www.michiganlottery.com/api/graphql", "method": "POST",
      "headers": {"content-type": "application/json"},
      "body": "{\"query\": \"{ getCMSGames(removeHiddenGames: true) { igtId displayedTicketPrice overallOdds gameCategoryIdentifier } }\"}"}
   ]', 'America/Detroit'),
  ('FL', 'FL', '[
     {"url": "https://apim-website-prod-eastus.azure-api.net/scratchgamesapp/getscratchinfo", "method": "GET",
      "headers": {"x-partner": "web"}}
   ]', 'America/New_York')
on conflict (state) do update set layout = excluded.layout, requests = excluded.requests,
  time_zone = excluded.time_zone, enabled = true, updated_at = now();
