-- The daily batch (DESIGN.md, Daily schedule): every day at 08:00 UTC pg_cron calls the
-- daily-batch function with net.http_post, as Supabase documents for scheduling Edge Functions.
-- The project URL and the service role key come from Vault (secrets 'project_url' and
-- 'service_role_key'; the local stack sets them, on hosted Supabase create them once, see README).
-- The run history is in cron.job_run_details and the responses in net._http_response.
select cron.schedule(
  'daily-batch',
  '0 8 * * *',
  $$
  select net.http_post(
    url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
      || '/functions/v1/daily-batch',
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
