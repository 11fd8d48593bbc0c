"""Feed payloads both adapter implementations must agree on: every shipped day, and the shipped
payloads bent the ways real fetches go wrong or vary harmlessly. Each case says what the Python
reference must do with it (`expect`: None = parses; else the error's row, column and words of
its message; `warns`: words of each warning of a payload that loads without its odd games)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from trainer.scratchoff.feeds import FeedDocument
from trainer.scratchoff.feeds.shipped import (
    IGT_DAY,
    MI_DAY,
    NY_DAY,
    florida,
    georgia,
    massachusetts,
    michigan,
    new_jersey,
    new_york,
    texas_days,
    texas_with_pages,
)

FL_DAY = "2026-09-01"  # the Florida fixture is built from the layout: any day dates it


@dataclass(frozen=True)
class Payload:
    id: str
    state: str
    documents: list[FeedDocument]
    as_of: str | None = None
    expect: tuple[int | None, str | None, str] | None = None
    warns: tuple[str, ...] = ()
    ids_of: int | None = None  # also compare request_ids of this document (a template's list)


def _tx(name: str, data: bytes) -> list[FeedDocument]:
    return [FeedDocument(name, data)]


def _ny_with(status: list[dict] | None = None, listing: dict | None = None) -> list[FeedDocument]:
    docs = new_york()
    status = json.loads(docs[0].data) if status is None else status
    listing = json.loads(docs[1].data) if listing is None else listing
    return [
        FeedDocument(docs[0].name, json.dumps(status).encode()),
        FeedDocument(docs[1].name, json.dumps(listing).encode()),
    ]


def shipped_payloads() -> list[Payload]:
    days = [Payload(f"TX {day}", "TX", [doc]) for day, doc in texas_days().items()]
    ga_warns = tuple(  # annuities that pay monthly for life: no dollar figure in the label
        f'GA game {n}: prizeTiers[12].prizeAmount 0 ("$5,000 a Month/Life")'
        for n in ("1420", "1491", "1529")
    )
    return [
        *days,
        Payload(f"NY {NY_DAY}", "NY", new_york(), NY_DAY),
        Payload(f"NJ {IGT_DAY} (real)", "NJ", new_jersey(), IGT_DAY),
        Payload(f"SD {IGT_DAY} (NJ's real answer read as SD)", "SD", new_jersey(), IGT_DAY),
        Payload(
            f"GA {IGT_DAY} (NJ's values, GA's variant)", "GA", georgia(), IGT_DAY, None, ga_warns
        ),
        Payload(f"MI {MI_DAY} (real element)", "MI", michigan(), MI_DAY),
        Payload("FL (documented layout)", "FL", florida(), FL_DAY),
    ]


def bent_payloads() -> list[Payload]:
    """Faults and harmless variations, built from the first shipped Texas day and New York."""
    first = next(iter(texas_days().values()))
    raw = first.data
    lines = raw.split(b"\r\n")
    status = json.loads(new_york()[0].data)
    listing = json.loads(new_york()[1].data)
    out = [
        Payload(
            "TX harmless: BOM, LF ends, blank lines",
            "TX",
            _tx("bom.csv", b"\xef\xbb\xbf" + b"\n\n".join(lines)),
        ),
        Payload(
            "TX checksum",
            "TX",
            _tx("sum.csv", raw.replace(b'"150","1384043"', b'"150","1384042"', 1)),
            expect=(11, "Total Prizes in Level", "game 2400 ($20 Million Supreme) refused"),
        ),
        Payload(
            "TX cut inside a quoted field",
            "TX",
            _tx("cut.csv", raw[: raw.index(b"\r\n", 5000) - 7]),
            expect=(108, None, "malformed CSV"),
        ),
        Payload(
            "TX cut between fields",
            "TX",
            _tx("cut2.csv", raw[: raw.index(b"\r\n", 5000) - 6]),
            expect=(108, None, "expected 7 fields, found 6"),
        ),
        Payload(
            "TX cut after a row",
            "TX",
            _tx("cut3.csv", raw[: raw.index(b"\r\n", 5000)]),
            expect=(108, None, "the file ends mid-game"),
        ),
        Payload(
            "TX html error page",
            "TX",
            _tx("err.html", b"<!DOCTYPE html><html><body>503 Service Unavailable</body></html>"),
            expect=(1, None, "not a Texas scratchoff.csv"),
        ),
        Payload(
            "TX missing column",
            "TX",
            _tx("col.csv", raw.replace(b'"Prizes Claimed"', b'"X"')),
            expect=(2, "Prizes Claimed", "missing column"),
        ),
        Payload(
            "TX unclosed quote",
            "TX",
            _tx("q.csv", raw + b'2999,"Broken,,5,"5","1",0\r\n'),
            expect=(868, None, "malformed CSV"),
        ),
        Payload(
            "TX claimed > printed, TOTAL row unchanged: the checksum refuses the day",
            "TX",
            _tx("over.csv", raw.replace(b'"200","691905",567459', b'"200","691905",691906', 1)),
            expect=(11, "Prizes Claimed", "game 2400 ($20 Million Supreme) refused"),
        ),
        Payload(
            "TX unknown prize level: that game dropped",
            "TX",
            _tx("level.csv", raw.replace(b'"200","691905"', b'"A CAR","691905"', 1)),
            warns=('TX game 2400: Prize Level "A CAR" cannot be valued; game not loaded',),
        ),
        Payload(
            "TX not a number",
            "TX",
            _tx("nan.csv", raw.replace(b'"200","691905"', b'"200","69x905"', 1)),
            expect=(4, "Total Prizes in Level", "not a whole count"),
        ),
        Payload(
            "TX no TOTAL row",
            "TX",
            _tx(
                "nototal.csv",
                b"\r\n".join(
                    x for x in lines if not x.startswith(b'2400,"$20 Million Supreme",,100,"TOTAL"')
                ),
            ),
            expect=(11, "Game Number", "game 2400 ($20 Million Supreme) has no TOTAL row"),
        ),
        Payload(
            "TX two exports", "TX", [first, first], expect=(None, None, "not Texas's game listing")
        ),
        Payload("unknown state", "MN", [first], expect=(None, None, "known: TX, NY, NJ")),
        Payload("NY as Texas", "TX", new_york()[:1], expect=(1, None, "not a Texas")),
        Payload("TX as New York", "NY", [first], NY_DAY, expect=(None, None, "not JSON")),
        Payload("NY no date", "NY", new_york(), None, expect=(None, None, "carries no date")),
        Payload("NY one document", "NY", new_york()[:1], NY_DAY, expect=(None, None, "game list")),
        Payload(
            "NY numbers as JSON numbers",
            "NY",
            _ny_with(
                [
                    {
                        **r,
                        "total": int(r["total"]),
                        "paid": int(r["paid"]),
                        "unpaid": int(r["unpaid"]),
                    }
                    for r in status
                ]
            ),
            NY_DAY,
        ),
    ]
    bad_label = [dict(r) for r in status]
    bad_label[5]["prize_amount"] = "A NEW CAR"
    mismatch = [dict(r) for r in status]
    mismatch[7]["paid"] = "0"
    orphan = {"rows": [r for r in listing["rows"] if r["game_number"] != "1464"]}
    no_top = {"rows": [dict(r) for r in listing["rows"]]}
    no_top["rows"][2]["top_prize_amount"] = "$123,456"
    blank_odds = {"rows": [dict(r) for r in listing["rows"]]}
    blank_odds["rows"][0]["overall_odds"] = ""
    words_odds = {"rows": [dict(r) for r in listing["rows"]]}
    words_odds["rows"][1]["overall_odds"] = "ONE IN FOUR"
    out += [
        Payload(
            "NY unknown label: that game dropped",
            "NY",
            _ny_with(bad_label),
            NY_DAY,
            warns=(
                f'NY game {status[5]["game_number"]}: prize_amount "A NEW CAR" cannot be valued',
            ),
        ),
        Payload(
            "NY paid + unpaid != total",
            "NY",
            _ny_with(mismatch),
            NY_DAY,
            expect=(8, "total", "!= total"),
        ),
        Payload(
            "NY game missing from the list: that game dropped",
            "NY",
            _ny_with(listing=orphan),
            NY_DAY,
            warns=("NY game 1464: game_number is not in the game list; game not loaded",),
        ),
        Payload(
            "NY advertised top prize absent: that game dropped",
            "NY",
            _ny_with(listing=no_top),
            NY_DAY,
            warns=(f'NY game {no_top["rows"][2]["game_number"]}: top_prize_amount "$123,456"',),
        ),
        Payload(
            "NY odds in words: that game dropped",
            "NY",
            _ny_with(listing=words_odds),
            NY_DAY,
            warns=(f'NY game {words_odds["rows"][1]["game_number"]}: overall_odds "ONE IN FOUR"',),
        ),
        Payload("NY blank odds", "NY", _ny_with(listing=blank_odds), NY_DAY),
    ]
    return out + igt_payloads() + mi_payloads() + fl_payloads() + other_layouts()


def texas_page_payloads() -> list[Payload]:
    """Every shipped Texas day with its listing and game pages (request_ids of the listing
    compared too), and the ways the pages' layout can differ."""
    days = texas_days()
    out = [
        Payload(f"TX pages {day}", "TX", texas_with_pages(doc), ids_of=1)
        for day, doc in days.items()
    ]
    export, listing, *pages = texas_with_pages(next(iter(days.values())))
    html = listing.data.decode()
    unlinked = html.replace(
        '<a href="/export/sites/lottery/Games/Scratch_Offs/details.html_', '<a href="x', 1
    )
    bare = pages[0].data.decode().replace("approximately", "about").replace("1 in", "one in")
    first_game = re.search(r"Game No\. ([0-9]+)", bare)[1]  # type: ignore[index]
    return [
        *out,
        Payload(
            "TX pages: a listing row without its page link",
            "TX",
            [export, FeedDocument("all.html", unlinked.encode()), *pages],
            expect=(2, "Game Number", "does not link to details.html_<page id>.html"),
            ids_of=1,
        ),
        Payload(
            "TX pages: one page missing",
            "TX",
            [export, listing, *pages[1:]],
            expect=(None, None, f"the listing names {len(pages)} game pages, {len(pages) - 1}"),
        ),
        Payload(
            "TX pages: a page in other words (its game keeps odds and tickets unknown, warned)",
            "TX",
            [export, listing, FeedDocument(pages[0].name, bare.encode()), *pages[1:]],
            warns=(
                f"TX game {first_game}: details page states overall odds in words not understood",
                f"TX game {first_game}: details page states tickets printed in words not",
            ),
        ),
        Payload(
            "TX pages: a listing of no games",
            "TX",
            [export, FeedDocument("all.html", b"<html><table></table></html>")],
            expect=(None, None, "not Texas's game listing"),
            ids_of=1,
        ),
    ]


def _ma_with(change: object) -> list[FeedDocument]:
    """Massachusetts's fetch with its first prize document (game 2410) changed by `change`."""
    _day, (games, first, *rest) = massachusetts()
    doc = json.loads(first.data)
    change(doc)  # type: ignore[operator]
    return [games, FeedDocument(first.name, json.dumps(doc).encode()), *rest]


def massachusetts_payloads() -> list[Payload]:
    """Massachusetts's documented layout (request_ids of its list compared too) and a refusal of
    every field the adapter relies on."""
    day, docs = massachusetts()

    def tier(field: str, value: object):
        return lambda d: d["prizeTiers"][2].__setitem__(field, value)

    def top(field: str, value: object):
        return lambda d: d.__setitem__(field, value)

    bent = [
        (
            "tier count not whole",
            tier("totalPrizes", "240"),
            (3, "totalPrizes", "not a whole count"),
        ),
        (
            "checksum",
            tier("paidPrizes", 62),
            (3, "prizesRemaining", "!= totalPrizes 240 - paidPrizes 62"),
        ),
        (
            "prize not dollars",
            tier("prizeAmount", "$10,000"),
            (3, "prizeAmount", "not a prize in dollars"),
        ),
        ("tier type", tier("type", "SECOND"), (3, "type", "not REGULAR or TOP")),
        (
            "other game",
            top("massGameID", 2395),
            (None, "massGameID", "is not the listed game 2410"),
        ),
        (
            "no price",
            lambda d: d.pop("ticketCost"),
            (None, "ticketCost", "not a ticket price: null"),
        ),
        ("no tiers", top("prizeTiers", []), (None, "prizeTiers", "not a non-empty list")),
    ]
    ny_status, ny_list = new_york()
    return [
        Payload("MA documented layout", "MA", docs, day, ids_of=0),
        *[
            Payload(f"MA {what}", "MA", _ma_with(change), day, expect=want)
            for what, change, want in bent
        ],
        Payload(
            "MA odds in words: that game dropped",
            "MA",
            _ma_with(top("odds", "one in three")),
            day,
            warns=('MA game 2410: odds not "1 in X": "one in three"; game not loaded',),
        ),
        Payload("MA no date", "MA", docs, None, expect=(None, None, "carries no date")),
        Payload(
            "MA a prize document missing",
            "MA",
            docs[:-1],
            day,
            expect=(None, None, "the list names 3 scratch games, 2 prize documents"),
        ),
        Payload(
            "MA given New York's documents",
            "MA",
            [ny_status, ny_list],
            day,
            expect=(1, "gameType", "not a string: null"),
            ids_of=0,
        ),
        Payload(
            "MA given Texas's export",
            "MA",
            [next(iter(texas_days().values()))],
            day,
            expect=(None, None, "not JSON"),
        ),
    ]


def _json_doc(name: str, value: object) -> FeedDocument:
    return FeedDocument(name, json.dumps(value).encode())


def igt_payloads() -> list[Payload]:
    """New Jersey's real answer bent: one odd game of each kind, a field of another shape."""
    answer = json.loads(new_jersey()[0].data)

    def bent(change) -> list[FeedDocument]:  # noqa: ANN001 - a small local edit of the answer
        copy = json.loads(json.dumps(answer))
        change(copy["games"])
        return [_json_doc("games.json", copy)]

    live = next(i for i, g in enumerate(answer["games"]) if g["validationStatus"] == "ACTIVE")

    def tier_type(games: list) -> None:
        games[live]["prizeTiers"][3]["tierType"] = 5

    def overpaid(games: list) -> None:
        tier = games[live]["prizeTiers"][0]
        tier["paidTickets"] = tier["winningTickets"] + 1

    def price_text(games: list) -> None:
        games[4]["ticketPrice"] = "$20"

    def no_tiers(games: list) -> None:
        del games[2]["prizeTiers"]

    first = answer["games"][live]["gameId"]
    return [
        Payload(
            "NJ unknown tier type: that game dropped",
            "NJ",
            bent(tier_type),
            IGT_DAY,
            warns=(f"NJ game {first}: prizeTiers[3].tierType 5 cannot be valued",),
        ),
        Payload(
            "NJ paid > winning: that game dropped",
            "NJ",
            bent(overpaid),
            IGT_DAY,
            warns=(f"NJ game {first}: prizeTiers[0].paidTickets",),
        ),
        Payload(
            "NJ price as text: refused",
            "NJ",
            bent(price_text),
            IGT_DAY,
            expect=(5, "ticketPrice", 'expected a whole number, found "$20"'),
        ),
        Payload(
            "NJ game without prizeTiers: refused",
            "NJ",
            bent(no_tiers),
            IGT_DAY,
            expect=(3, "prizeTiers", "missing"),
        ),
        Payload("NJ no date", "NJ", new_jersey(), None, expect=(None, None, "carries no date")),
    ]


def mi_payloads() -> list[Payload]:
    """Michigan's answers bent: a game missing from getCMSGames, odds in words, a GraphQL error."""
    prizes, games = (json.loads(d.data) for d in michigan())
    element = prizes["data"]["getRetailTopPrizesRemainingByGameType"][0]
    extra = json.loads(json.dumps(element)) | {"cms_game_igt_id": 999, "game_name": "UNLISTED"}
    with_extra = {"data": {"getRetailTopPrizesRemainingByGameType": [element, extra]}}
    words = json.loads(json.dumps(games))
    words["data"]["getCMSGames"][0]["overallOdds"] = "ONE IN FOUR"
    error = {"errors": [{"message": "Too many requests"}], "data": None}
    return [
        Payload(
            "MI game missing from getCMSGames: that game dropped",
            "MI",
            [_json_doc("prizes.json", with_extra), _json_doc("games.json", games)],
            MI_DAY,
            warns=("MI game 999: cms_game_igt_id is not among getCMSGames' retail instant games",),
        ),
        Payload(
            "MI odds in words: the only game dropped, the day refused",
            "MI",
            [_json_doc("prizes.json", prizes), _json_doc("games.json", words)],
            MI_DAY,
            expect=(None, None, 'MI game 316: overallOdds "ONE IN FOUR" is not'),
        ),
        Payload(
            "MI GraphQL error answer",
            "MI",
            [_json_doc("prizes.json", error), _json_doc("games.json", games)],
            MI_DAY,
            expect=(None, "data", "expected an object, found null"),
        ),
        Payload(
            "MI answers swapped",
            "MI",
            list(reversed(michigan())),
            MI_DAY,
            expect=(None, "data.getRetailTopPrizesRemainingByGameType", "missing"),
        ),
    ]


def fl_payloads() -> list[Payload]:
    """Florida's answer bent: an unknown prize, a checksum that fails, a count of another shape."""
    games = json.loads(florida()[0].data)

    def bent(change) -> list[FeedDocument]:  # noqa: ANN001 - a small local edit of the answer
        copy = json.loads(json.dumps(games))
        change(copy)
        return [_json_doc("getscratchinfo.json", copy)]

    def car(g: list) -> None:
        g[1]["OddsTiers"][0]["PrizeAmount"] = "A NEW CAR"

    def checksum(g: list) -> None:
        g[0]["OddsTiers"][1]["PrizesPaid"] += 1

    def text_count(g: list) -> None:
        g[0]["OddsTiers"][2]["TotalPrizes"] = "200,000"

    return [
        Payload(
            "FL unknown prize: that game dropped",
            "FL",
            bent(car),
            FL_DAY,
            warns=('FL game 1502: OddsTiers[0].PrizeAmount "A NEW CAR" cannot be valued',),
        ),
        Payload(
            "FL checksum",
            "FL",
            bent(checksum),
            FL_DAY,
            expect=(1, "OddsTiers[1].TotalPrizes", "paid 901 + remaining 3100 != total 4000"),
        ),
        Payload(
            "FL count as text",
            "FL",
            bent(text_count),
            FL_DAY,
            expect=(1, "OddsTiers[2].TotalPrizes", 'expected a whole number, found "200,000"'),
        ),
    ]


def other_layouts() -> list[Payload]:
    """Every adapter given another state's payload: refused, naming the first field that differs."""
    return [
        Payload("NY as NJ", "NJ", new_york()[1:], IGT_DAY, expect=(None, "games", "missing")),
        Payload("FL as GA", "GA", florida(), IGT_DAY, expect=(None, "games", "expected an object")),
        Payload("NJ as MI", "MI", new_jersey() * 2, MI_DAY, expect=(None, "data", "missing")),
        Payload("NJ as FL", "FL", new_jersey(), FL_DAY, expect=(None, None, "expected an array")),
        Payload("MI as FL", "FL", michigan()[1:], FL_DAY, expect=(None, None, "expected an array")),
        Payload(
            "NY status as FL",
            "FL",
            new_york()[:1],
            FL_DAY,
            expect=(1, "Id", "missing"),
        ),
        Payload("FL as Texas", "TX", florida(), expect=(1, None, "not a Texas")),
        Payload("NJ as New York", "NY", new_jersey(), NY_DAY, expect=(None, None, "game list")),
        Payload("MI as New York", "NY", michigan(), NY_DAY, expect=(None, None, "not one of")),
    ]
