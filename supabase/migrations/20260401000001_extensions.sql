-- Extensions the schedule needs. On hosted Supabase these are Supabase's own; locally, pg_cron comes
-- from Debian and pg_net / supabase_vault are the local stand-ins (scripts/local/extensions).
create extension if not exists pg_cron;
create extension if not exists pg_net;
create extension if not exists supabase_vault;
