-- What a hosted Supabase database already has before the project's migrations run: the API roles,
-- the extensions schema, the migration history table, and Supabase's default grants (which the
-- project's migrations then revoke, as Supabase advises). Idempotent: run at every `stack up`.
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
end $$;
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

create schema if not exists extensions;
grant usage on schema extensions, public to anon, authenticated, service_role;

create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text primary key,
  statements text[],
  name text
);

-- Supabase's default grants exist before the first migration, which revokes them: granted here
-- only while no migration has run, so that a later `stack up` does not undo that revoke (the
-- schema comparison test, supabase/tests/test_scratch_schema.py, would see the difference).
do $$
begin
  if not exists (select from supabase_migrations.schema_migrations) then
    alter default privileges in schema public grant all on tables to anon, authenticated,
      service_role;
    alter default privileges in schema public grant all on functions to anon, authenticated,
      service_role;
    alter default privileges in schema public grant all on sequences to anon, authenticated,
      service_role;
  end if;
end $$;
