"""The mobile app's and the seed's queries, served unchanged (DESIGN.md, Database; README, Data
contract).

No package here provides PostgREST, so each query is proven at the SQL level, the way PostgREST runs
it: logged in as `authenticator` (PostgREST's login role), one transaction per request that switches
to the key's role and sets the JWT claims (`set local role anon; select set_config(
'request.jwt.claims', <the anon key's claims>, true)`), then the statement PostgREST builds for the
call: the relation's rows with the filters, order and limit in a CTE, aggregated to the JSON body
the client receives. `.single()` is PostgREST's object response: exactly one row, else an error.
Each query's check: the columns the calling code reads are in every row of the body (and not null
where the code does arithmetic or shows them without a fallback), with the row count the code
expects. "Today" is the data's latest snapshot day (the shipped data is from 2026), so the queries
relative to today (the last 30 days) find rows.

The queries (GitHub Domnoval/hackscratcher at 11642a7, the current app; 811d1ce, the older
generation; the seed's code in ../shared/seeds/003_*.txt):
  A1  lib/supabase.ts getActiveGamesWithPredictions: games, status = PUBLISHED, by game_number desc
      (read by services/lottery/supabaseLotteryService.ts getActiveGames)
  A2  lib/supabase.ts@811d1ce getActiveGamesWithPredictions: games, is_active = true
  A3  debug-package/lib/supabase.ts getActiveGamesWithPredictions: active_games_with_predictions by
      ai_score desc
  A4  lib/supabase.ts getGameDetails: games, id = X, .single() (both generations' convertGame)
  A5  lib/supabase.ts getGameDetails: prize_tiers, game_id = X (one row per tier)
  A6  lib/supabase.ts getGameDetails: predictions, game_id = X, latest, .limit(1).single()
  A7  lib/supabase.ts getGameTrend: historical_snapshots, game_id = X, last 30 days, ascending
  A8  services/data/dataFreshnessService.ts getDataFreshness: games.updated_at, latest, .single()
  A9  scripts/test-supabase-connection.ts: games, limit 5
  A10 scripts/test-supabase-connection.ts: predictions, limit 5
  A11 scripts/test-supabase-connection.ts: active_games_with_predictions, limit 5
  A12 scripts/test-supabase-connection.ts: games with embedded predictions(...), is_active, limit 5
  S1  train_model.py fetch_training_data: games, is_active = true
  S2  train_model.py fetch_training_data: historical_snapshots, last 30 days
  S3  lambda_function.py fetch_games: games, is_active = true
  S4  lambda_function.py fetch_snapshots: historical_snapshots, game_id = X, latest 30
  S5  lambda_function.py save_predictions: predictions upsert on (game_id, prediction_date,
      model_version): runs as the service role; refused for anon (the key the seed's train_model.py
      uses): only the daily batch writes predictions.
Not this backend's (the app's own tables and scripts, out of this contract): user_scans (lib/
supabase.ts logTicketScan, getUserScanHistory; components/tracking/WinTracker.tsx), the
get_stores_within_radius RPC, and the app's scrapers (scripts/scrape-*.ts), which wrote games and
prize_tiers themselves and are replaced here by the ingest.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from stack_data import ensure_loaded
from stack_process import bearer


@dataclass(frozen=True)
class Facts:
    """What the tables hold, read as the owner: the expected answers."""

    today: dt.date
    game_id: int  # an active game with a prediction
    active: int
    games: int
    tiers_latest_day: int  # the game's tiers on its latest day
    tier_history: int  # all its tier rows (every day)
    snapshots_30d: int  # the game's snapshots in the last 30 days
    all_snapshots_30d: int
    snapshots: int  # all the game's snapshots


@dataclass(frozen=True)
class Read:
    """One supabase-js / supabase-py read, as written in the calling code."""

    name: str
    source: str
    relation: str
    select: str = "*"
    filters: tuple[tuple[str, str, Callable[[Facts], object]], ...] = ()
    order: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    limit: int | None = None
    single: bool = False
    reads: tuple[str, ...] = ()  # columns the code reads
    not_null: tuple[str, ...] = ()  # ... of which the code needs a value
    rows: Callable[[Facts], int] = field(default=lambda f: 1)


def game_id(f: Facts) -> int:
    return f.game_id


def days_ago(n: int) -> Callable[[Facts], str]:
    return lambda f: (f.today - dt.timedelta(days=n)).isoformat()


CURRENT_GAME = ("id", "name", "price", "overall_odds", "status", "launch_date", "created_at",
                "updated_at")  # fmt: skip
OLDER_GAME = ("id", "game_name", "ticket_price", "overall_odds", "is_active", "game_start_date",
              "created_at", "updated_at", "total_tickets_printed")  # fmt: skip
SEED_GAME = ("id", "game_number", "game_name", "remaining_top_prizes", "total_top_prizes",
             "ticket_price", "top_prize_amount", "last_scraped_at")  # fmt: skip
PREDICTION = ("id", "game_id", "prediction_date", "ai_score", "win_probability", "expected_value",
              "confidence_level", "model_version", "features_used", "recommendation", "reasoning",
              "created_at")  # fmt: skip
VIEW_ROW = ("id", "game_number", "game_name", "ticket_price", "overall_odds", "top_prize_amount",
            "total_top_prizes", "remaining_top_prizes", "is_active", "game_start_date",
            "created_at", "updated_at", "total_tickets_printed", "state", "ai_score",
            "confidence_level", "recommendation", "reasoning", "win_probability",
            "prediction_created_at")  # fmt: skip
SNAPSHOT = ("game_id", "snapshot_date", "remaining_top_prizes", "tickets_remaining_estimate",
            "days_since_launch", "top_prize_depletion_rate", "expected_value",
            "created_at")  # fmt: skip

READS = [
    Read("A1", "lib/supabase.ts getActiveGamesWithPredictions", "games",
         filters=(("status", "eq", lambda f: "PUBLISHED"),), order=(("game_number", True),),
         reads=(*CURRENT_GAME, "top_prize"), not_null=("id", "name", "price", "status", "top_prize",
                                                      "created_at", "updated_at"),
         rows=lambda f: f.active),
    Read("A2", "lib/supabase.ts@811d1ce getActiveGamesWithPredictions", "games",
         filters=(("is_active", "eq", lambda f: "true"),), order=(("game_number", True),),
         reads=OLDER_GAME, not_null=("id", "game_name", "ticket_price", "created_at"),
         rows=lambda f: f.active),
    Read("A3", "debug-package/lib/supabase.ts getActiveGamesWithPredictions",
         "active_games_with_predictions", order=(("ai_score", True),), reads=VIEW_ROW,
         not_null=("id", "game_name", "ticket_price", "is_active"), rows=lambda f: f.active),
    Read("A4", "lib/supabase.ts getGameDetails (game)", "games",
         filters=(("id", "eq", game_id),), single=True, reads=(*CURRENT_GAME, *OLDER_GAME),
         not_null=("id", "name", "game_name", "price", "ticket_price", "status", "is_active")),
    Read("A5", "lib/supabase.ts getGameDetails (prize tiers)", "prize_tiers",
         filters=(("game_id", "eq", game_id),),
         reads=("id", "game_id", "prize_amount", "total_prizes", "remaining_prizes", "odds",
                "created_at", "updated_at"),
         not_null=("id", "prize_amount", "total_prizes", "remaining_prizes", "odds"),
         rows=lambda f: f.tiers_latest_day),
    Read("A6", "lib/supabase.ts getGameDetails (latest prediction)", "predictions",
         filters=(("game_id", "eq", game_id),), order=(("prediction_date", True),), limit=1,
         single=True, reads=PREDICTION,
         not_null=("ai_score", "confidence_level", "recommendation", "reasoning",
                   "win_probability")),
    Read("A7", "lib/supabase.ts getGameTrend", "historical_snapshots",
         filters=(("game_id", "eq", game_id), ("snapshot_date", "gte", days_ago(30))),
         order=(("snapshot_date", False),), reads=SNAPSHOT,
         not_null=("snapshot_date", "remaining_top_prizes", "expected_value"),
         rows=lambda f: f.snapshots_30d),
    Read("A8", "services/data/dataFreshnessService.ts getDataFreshness", "games",
         select="updated_at", order=(("updated_at", True),), limit=1, single=True,
         reads=("updated_at",), not_null=("updated_at",)),
    Read("A9", "scripts/test-supabase-connection.ts (games)", "games", limit=5,
         reads=("game_name",), not_null=("game_name",), rows=lambda f: min(5, f.games)),
    Read("A10", "scripts/test-supabase-connection.ts (predictions)", "predictions", limit=5,
         reads=PREDICTION, rows=lambda f: 5),
    Read("A11", "scripts/test-supabase-connection.ts (view)", "active_games_with_predictions",
         limit=5, reads=("game_name",), not_null=("game_name",), rows=lambda f: min(5, f.active)),
    Read("S1", "train_model.py fetch_training_data (games)", "games",
         filters=(("is_active", "eq", lambda f: "true"),), reads=SEED_GAME, not_null=SEED_GAME,
         rows=lambda f: f.active),
    Read("S2", "train_model.py fetch_training_data (snapshots)", "historical_snapshots",
         filters=(("snapshot_date", "gte", days_ago(30)),),
         reads=("game_id", "snapshot_date", "remaining_top_prizes", "expected_value"),
         not_null=("game_id", "snapshot_date", "remaining_top_prizes"),
         rows=lambda f: f.all_snapshots_30d),
    Read("S3", "lambda_function.py fetch_games", "games",
         filters=(("is_active", "eq", lambda f: "true"),), reads=SEED_GAME, not_null=SEED_GAME,
         rows=lambda f: f.active),
    Read("S4", "lambda_function.py fetch_snapshots", "historical_snapshots",
         filters=(("game_id", "eq", game_id),), order=(("snapshot_date", True),), limit=30,
         reads=("snapshot_date", "remaining_top_prizes", "expected_value"),
         not_null=("snapshot_date", "remaining_top_prizes"), rows=lambda f: min(30, f.snapshots)),
]  # fmt: skip

OPERATORS = {"eq": "=", "gte": ">="}


def column(relation: str, name: str) -> sql.Composable:
    return sql.Identifier("public", relation, name)


def read_sql(q: Read, facts: Facts) -> tuple[sql.Composed, list[object]]:
    """The statement PostgREST builds for a read: the rows in a CTE, the body as one JSON array."""
    rel = sql.Identifier("public", q.relation)
    if q.select == "*":
        select = sql.SQL("{}.*").format(rel)
    else:
        select = sql.SQL(", ").join(column(q.relation, c) for c in q.select.split(","))
    where = [
        sql.SQL("{} {} {}").format(column(q.relation, c), sql.SQL(OPERATORS[op]), sql.Placeholder())
        for c, op, _ in q.filters
    ]
    params = [str(value(facts)) for _, _, value in q.filters]  # query-string values: unknown text
    source = sql.SQL("select {} from {}").format(select, rel)
    if where:
        source += sql.SQL(" where ") + sql.SQL(" and ").join(where)
    if q.order:
        source += sql.SQL(" order by ") + sql.SQL(", ").join(
            sql.SQL("{} {}").format(column(q.relation, c), sql.SQL("desc" if d else "asc"))
            for c, d in q.order
        )
    if q.limit is not None:
        source += sql.SQL(" limit {} offset 0").format(sql.Literal(q.limit))
    return wrap(source), params


def wrap(source: sql.Composable) -> sql.Composed:
    return sql.SQL(
        "with pgrst_source as ({}) select null::bigint as total_result_set,"
        " pg_catalog.count(_postgrest_t) as page_total,"
        " coalesce(json_agg(_postgrest_t), '[]')::character varying as body"
        " from (select * from pgrst_source) _postgrest_t"
    ).format(source)


# A12: `games?select=*,predictions(ai_score,confidence_level,recommendation,reasoning,
# win_probability)&is_active=eq.true&limit=5`, the embedding PostgREST builds over the foreign key.
EMBED_SQL = wrap(
    sql.SQL(
        'select "public"."games".*, coalesce("games_predictions_1"."games_predictions_1", \'[]\')'
        ' as "predictions" from "public"."games"'
        ' left join lateral (select json_agg("games_predictions_1") as "games_predictions_1"'
        ' from (select "predictions_1"."ai_score", "predictions_1"."confidence_level",'
        ' "predictions_1"."recommendation", "predictions_1"."reasoning",'
        ' "predictions_1"."win_probability" from "public"."predictions" as "predictions_1"'
        ' where "predictions_1"."game_id" = "public"."games"."id") as "games_predictions_1")'
        ' as "games_predictions_1" on true'
        ' where "public"."games"."is_active" = %s limit 5 offset 0'
    )
)


def claims(key: str) -> str:
    payload = key.split(".")[1]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


class PostgrestError(Exception):
    pass


@dataclass
class Api:
    """Requests as PostgREST runs them, for one API key."""

    conn: psycopg.Connection
    key: str

    def request(self, method: str, path: str, statement, params) -> tuple[int, object]:
        return self.requests(method, path, [(statement, params)])

    def requests(self, method: str, path: str, statements: list) -> tuple[int, object]:
        """Statements in one request's transaction (rolled back); the last one's (count, body)."""
        with self.conn.transaction(force_rollback=True):
            role = json.loads(claims(self.key))["role"]
            self.conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
            self.conn.execute(
                "select set_config('request.jwt.claims', %s, true),"
                " set_config('request.method', %s, true), set_config('request.path', %s, true)",
                [claims(self.key), method, path],
            )
            for statement, params in statements:
                count, body = self.conn.execute(statement, params).fetchone()[1:]
            return count, json.loads(body)

    def read(self, q: Read, facts: Facts) -> list[dict]:
        statement, params = read_sql(q, facts)
        count, body = self.request("GET", f"/{q.relation}", statement, params)
        if q.single and count != 1:  # PostgREST: 406, PGRST116
            raise PostgrestError(f"{q.name}: .single() got {count} rows")
        return body


@pytest.fixture(scope="module")
def db(stack):
    """The shipped data, the models and the daily batch of the data's latest day (idempotent)."""
    ensure_loaded(stack.db_url)
    with psycopg.connect(stack.db_url) as owner:
        today = owner.execute(
            "select max(snapshot_date) from public.prize_tier_snapshots"
        ).fetchone()[0]
    r = httpx.post(
        stack.functions_url("daily-batch"),
        headers=bearer(stack.service_role_key),
        json={"run_date": today.isoformat()},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    return stack, today


@pytest.fixture(scope="module")
def facts(db) -> Facts:
    stack, today = db
    cutoff = today - dt.timedelta(days=30)
    with psycopg.connect(stack.db_url) as owner:
        (gid,) = owner.execute(
            "select g.id from public.games g where g.is_active and exists (select 1 from"
            " public.predictions p where p.game_id = g.id) order by g.id limit 1"
        ).fetchone()
        one = lambda q, *p: owner.execute(q, p).fetchone()[0]  # noqa: E731
        return Facts(
            today=today,
            game_id=gid,
            active=one("select count(*) from public.games where is_active"),
            games=one("select count(*) from public.games"),
            tiers_latest_day=one(
                "select count(*) from public.prize_tier_snapshots where game_id = %s and"
                " snapshot_date = (select max(snapshot_date) from public.prize_tier_snapshots"
                " where game_id = %s)",
                gid,
                gid,
            ),
            tier_history=one(
                "select count(*) from public.prize_tier_snapshots where game_id = %s", gid
            ),
            snapshots_30d=one(
                "select count(*) from public.historical_snapshots where game_id = %s"
                " and snapshot_date >= %s",
                gid,
                cutoff,
            ),
            all_snapshots_30d=one(
                "select count(*) from public.historical_snapshots where snapshot_date >= %s",
                cutoff,
            ),
            snapshots=one(
                "select count(*) from public.historical_snapshots where game_id = %s", gid
            ),
        )


def authenticator_url(db_url: str) -> str:
    """PostgREST's login role: it holds no table rights itself, only the roles it switches to."""
    return "postgresql://authenticator:postgres@" + db_url.split("@", 1)[1]


@pytest.fixture(scope="module")
def anon(db):
    stack, _ = db
    with psycopg.connect(authenticator_url(stack.db_url)) as conn:
        yield Api(conn, stack.anon_key)


@pytest.fixture(scope="module")
def service(db):
    stack, _ = db
    with psycopg.connect(authenticator_url(stack.db_url)) as conn:
        yield Api(conn, stack.service_role_key)


@pytest.mark.parametrize("q", READS, ids=[f"{q.name} {q.source}" for q in READS])
def test_app_and_seed_reads_are_served_as_anon(anon, facts, q: Read) -> None:
    rows = anon.read(q, facts)
    want = q.rows(facts)
    assert want > 0, f"{q.name}: the test data has nothing to find"
    assert len(rows) == want, f"{q.name} ({q.source}): {len(rows)} rows, the code expects {want}"
    for row in rows:
        missing = [c for c in q.reads if c not in row]
        assert not missing, f"{q.name} ({q.source}) reads {missing}: not in the response"
        empty = [c for c in q.not_null if row[c] is None]
        assert not empty, f"{q.name} ({q.source}) needs {empty}: null in {row}"


def test_prize_tiers_is_one_row_per_tier_of_the_latest_day(anon, facts) -> None:
    rows = anon.read(READS[4], facts)
    assert facts.tier_history > len(rows)  # the history is not what the app gets
    # one row per tier, in tier order (tier 1: the advertised top prize)
    assert [r["tier_index"] for r in rows] == list(range(1, len(rows) + 1))
    assert {r["game_id"] for r in rows} == {facts.game_id}
    assert all(r["odds"].startswith("1 in ") and r["remaining_prizes"] <= r["total_prizes"]
               for r in rows)  # fmt: skip


def test_the_status_filter_and_the_older_is_active_filter_agree(anon, facts) -> None:
    current = anon.read(READS[0], facts)
    older = anon.read(READS[1], facts)
    assert [r["id"] for r in current] == [r["id"] for r in older]
    assert all(r["status"] == "PUBLISHED" and r["is_active"] for r in current)
    assert all(r["name"] == r["game_name"] and r["price"] == r["ticket_price"] for r in current)


def test_the_view_has_one_row_per_active_game_with_its_latest_prediction(anon, facts, db) -> None:
    stack, _ = db
    rows = anon.read(READS[2], facts)
    assert len({r["id"] for r in rows}) == len(rows) == facts.active
    with psycopg.connect(stack.db_url) as owner:
        latest = dict(
            owner.execute(
                "select distinct on (game_id) game_id, ai_score from public.predictions"
                " order by game_id, prediction_date desc, created_at desc, id desc"
            ).fetchall()
        )
    assert {r["id"]: r["ai_score"] for r in rows} == {r["id"]: latest.get(r["id"]) for r in rows}


def test_single_refuses_a_game_that_does_not_exist(anon, facts) -> None:
    q = READS[3]
    missing = Read(q.name, q.source, q.relation, filters=(("id", "eq", lambda f: -1),), single=True)
    with pytest.raises(PostgrestError):
        anon.read(missing, facts)


def test_embedded_predictions_of_active_games(anon) -> None:
    count, body = anon.request("GET", "/games", EMBED_SQL, ["true"])
    assert count == len(body) == 5
    assert all(r["is_active"] and isinstance(r["predictions"], list) for r in body)
    assert any(r["predictions"] for r in body)
    for p in (p for r in body for p in r["predictions"]):
        assert set(p) == {"ai_score", "confidence_level", "recommendation", "reasoning",
                          "win_probability"}  # fmt: skip


def seed_predictions(facts: Facts) -> list[dict]:
    """Rows shaped as lambda_function.py generate_prediction returns them (features_used: the
    seed writes its list of feature names; the daily batch writes the values by name)."""
    return [
        {
            "game_id": facts.game_id,
            "prediction_date": facts.today.isoformat(),
            "ai_score": 42.0,
            "win_probability": 0.05,
            "expected_value": 0.7,
            "confidence_level": 100.0,
            "model_version": "v1",
            "features_used": ["ticket_price", "prize_concentration", "ev", "recency"],
            "recommendation": "neutral",
            "reasoning": "Based on mathematical analysis",
        }
    ]


def upsert_sql(rows: list[dict]) -> sql.Composed:
    """POST /predictions?on_conflict=game_id,prediction_date,model_version with Prefer:
    resolution=merge-duplicates,return=representation (postgrest-py's upsert)."""
    cols = [sql.Identifier(c) for c in rows[0]]
    key = ["game_id", "prediction_date", "model_version"]
    rest = [sql.Identifier(c) for c in rows[0] if c not in key]
    return wrap(
        sql.SQL(
            'insert into "public"."predictions" ({cols}) select {cols} from'
            ' json_populate_recordset(null::"public"."predictions", %s::json)'
            ' on conflict ({key}) do update set {sets} returning "public"."predictions".*'
        ).format(
            cols=sql.SQL(", ").join(cols),
            key=sql.SQL(", ").join(map(sql.Identifier, key)),
            sets=sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(c) for c in rest),
        )
    )


def test_the_seeds_upsert_runs_as_the_service_role_and_is_idempotent(service, facts) -> None:
    rows = seed_predictions(facts)
    count, body = service.request("POST", "/predictions", upsert_sql(rows), [json.dumps(rows)])
    assert count == 1 and body[0]["features_used"] == rows[0]["features_used"]
    assert body[0]["game_id"] == facts.game_id and body[0]["model_version"] == "v1"
    # Twice in one transaction (rolled back), then a count: the second run updated the first row.
    count_v1 = wrap(
        sql.SQL(
            "select id from public.predictions where game_id = {} and model_version = 'v1'"
        ).format(sql.Literal(facts.game_id))
    )
    upsert = (upsert_sql(rows), [json.dumps(rows)])
    count, _ = service.requests("POST", "/predictions", [upsert, upsert, (count_v1, [])])
    assert count == 1


def test_the_seeds_upsert_is_refused_for_anon(anon, facts) -> None:
    rows = seed_predictions(facts)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # PostgREST: 401, code 42501
        anon.request("POST", "/predictions", upsert_sql(rows), [json.dumps(rows)])


def test_the_manuals_contract_table_lists_every_column(db) -> None:
    """The manual's data contract table (docs/data-contract.md): exactly the columns the database
    has, each with its readers."""
    stack, _ = db
    page = (Path(__file__).resolve().parents[2] / "docs" / "data-contract.md").read_text()
    section = page.split("# The app's data contract", 1)[1]
    listed: dict[str, set[str]] = {}
    parts = re.split(r"\n`(\w+)`: ", section)
    for relation, block in zip(parts[1::2], parts[2::2], strict=True):
        rows = [line.split("|") for line in block.splitlines() if line.startswith("| `")]
        assert all(r[3].strip() for r in rows), f"{relation}: a column without its readers"
        listed[relation] = {r[1].strip(" `") for r in rows}
    assert set(listed) == {"games", "prize_tiers", "historical_snapshots", "predictions"}
    with psycopg.connect(stack.db_url) as owner:
        for relation, columns in listed.items():
            actual = {
                r[0]
                for r in owner.execute(
                    "select attname from pg_attribute where attrelid = %s::regclass"
                    " and attnum > 0 and not attisdropped",
                    [f"public.{relation}"],
                )
            }
            assert columns == actual, f"docs/data-contract.md vs the database, {relation}"
