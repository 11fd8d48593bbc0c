"""One schema everywhere: a scratch database (trainer.db.scratch_database: the tests', the bench's)
gets exactly the stack's schema: every migration, pg_cron's jobs recorded by its stand-in
(scripts/local/scratch_cron.sql). The catalogs of both are read the same way and compared: the
public schema's tables, columns, constraints, indexes, views, functions, triggers, grants, row level
security and policies, and the schedule's jobs."""

from __future__ import annotations

import os

import psycopg

from trainer.db import scratch_database

# Each query lists one kind of catalog entry of schema public as rows of text; none names an oid,
# so two databases built by the same migrations give the same rows.
CATALOG = {
    "relations": """
        select format('%s %s rls=%s acl=%s', c.relname, c.relkind, c.relrowsecurity, c.relacl)
        from pg_class c where c.relnamespace = 'public'::regnamespace
          and c.relkind in ('r', 'v', 'm', 'p', 'S')""",
    "columns": """
        select format('%s.%s %s null=%s default=%s', table_name, column_name, data_type,
          is_nullable, column_default)
        from information_schema.columns where table_schema = 'public'""",
    "column grants": """
        select format('%s.%s %s', c.relname, a.attname, a.attacl)
        from pg_attribute a join pg_class c on c.oid = a.attrelid
        where c.relnamespace = 'public'::regnamespace and a.attacl is not null""",
    "constraints": """
        select format('%s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
        from pg_constraint where connamespace = 'public'::regnamespace""",
    "indexes": """
        select indexdef from pg_indexes where schemaname = 'public'""",
    "views": """
        select format('%s: %s', viewname, definition) from pg_views where schemaname = 'public'""",
    "functions": """
        select format('%s acl=%s', pg_get_functiondef(p.oid), p.proacl)
        from pg_proc p where p.pronamespace = 'public'::regnamespace""",
    "triggers": """
        select format('%s %s', tgrelid::regclass, pg_get_triggerdef(oid))
        from pg_trigger where not tgisinternal
          and tgrelid in (select oid from pg_class where relnamespace = 'public'::regnamespace)""",
    "policies": """
        select format('%s %s %s %s %s %s %s', tablename, policyname, permissive, roles, cmd, qual,
          with_check)
        from pg_policies where schemaname = 'public'""",
    "comments": """
        select format('%s.%s %s', d.objoid::regclass, d.objsubid, d.description)
        from pg_description d join pg_class c on c.oid = d.objoid
        where d.classoid = 'pg_class'::regclass and c.relnamespace = 'public'::regnamespace""",
    "default privileges": """
        select format('%s %s', defaclobjtype, defaclacl) from pg_default_acl
        where defaclnamespace = 'public'::regnamespace""",
    "extensions": "select extname from pg_extension",
    "cron jobs": "select format('%s %s %s', jobname, schedule, command) from cron.job",
}
# kinds the schema has none of today (compared all the same, so that one added later must match)
MAY_BE_EMPTY = {"column grants", "triggers"}


def catalog(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as conn:
        return {
            kind: sorted(row[0] for row in conn.execute(query).fetchall())
            for kind, query in CATALOG.items()
        }


def test_a_scratch_database_has_exactly_the_stacks_schema(stack):
    stacks = catalog(stack.db_url)
    with scratch_database(f"scratch_schema_{os.getpid()}", stack.db_url) as url:
        scratch = catalog(url)
    for kind in CATALOG:
        assert stacks[kind] or kind in MAY_BE_EMPTY, (
            f"the stack has no {kind}: the comparison would prove nothing"
        )
        only_stack = sorted(set(stacks[kind]) - set(scratch[kind]))
        only_scratch = sorted(set(scratch[kind]) - set(stacks[kind]))
        assert (only_stack, only_scratch) == ([], []), (
            f"{kind} differ: only in the stack {only_stack}, only in the scratch database"
            f" {only_scratch}"
        )


def test_the_stand_in_stays_out_of_pg_crons_own_database(stack):
    """In the stack's database pg_cron is the real extension (its C functions), untouched."""
    with psycopg.connect(stack.db_url) as conn:
        languages = conn.execute(
            "select distinct l.lanname from pg_proc p join pg_language l on l.oid = p.prolang"
            " where p.pronamespace = 'cron'::regnamespace and p.proname = 'schedule'"
        ).fetchall()
    assert languages == [("c",)]
