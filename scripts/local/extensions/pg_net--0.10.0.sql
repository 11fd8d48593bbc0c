-- LOCAL STAND-IN for pg_net 0.10 (https://github.com/supabase/pg_net): the same tables and
-- functions. net.http_post/http_get queue a request and notify the worker; PostgreSQL delivers the
-- notification only when the calling transaction commits, so, as with pg_net, nothing is sent for
-- a transaction that rolls back. The worker records every response in net._http_response.

create table net.http_request_queue (
  id bigserial primary key,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);

create function net._enqueue(
  method text, url text, headers jsonb, body bytea, timeout_milliseconds integer
) returns bigint language plpgsql as $$
declare
  request_id bigint;
begin
  if url is null or url !~* '^https?://' then
    raise exception 'pg_net: invalid url %', coalesce(url, 'NULL');
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, url, headers, body, timeout_milliseconds)
  returning id into request_id;
  perform pg_notify('pg_net_standin', request_id::text);
  return request_id;
end $$;

create function net._with_params(url text, params jsonb) returns text language sql as $$
  select url || case when params = '{}'::jsonb then '' else '?' || (
    select string_agg(key || '=' || value, '&') from jsonb_each_text(params)
  ) end
$$;

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint language sql as $$
  select net._enqueue(
    'POST',
    net._with_params(url, params),
    headers,
    convert_to(body::text, 'UTF8'),
    timeout_milliseconds
  )
$$;

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint language sql as $$
  select net._enqueue(
    'GET',
    net._with_params(url, params),
    headers,
    null,
    timeout_milliseconds
  )
$$;

revoke all on all functions in schema net from public;
