"""Feed payloads both adapter implementations must agree on: every shipped day, and the shipped
payloads bent the ways real fetches go wrong or vary harmlessly. Each case says what the Python
reference must do with it (`expect`: None = parses; else the error's row, column and words of
its message)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from trainer.scratchoff.feeds import FeedDocument
from trainer.scratchoff.feeds.shipped import (
    NY_DAY,
    massachusetts,
    new_york,
    texas_days,
    texas_with_pages,
)


@dataclass(frozen=True)
class Payload:
    id: str
    state: str
    documents: list[FeedDocument]
    as_of: str | None = None
    expect: tuple[int | None, str | None, str] | None = None
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
    return [*days, Payload(f"NY {NY_DAY}", "NY", new_york(), NY_DAY)]


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
            "TX claimed > printed",
            "TX",
            _tx("over.csv", raw.replace(b'"200","691905",567459', b'"200","691905",691906', 1)),
            expect=(4, "Prizes Claimed", "claimed 691906 > printed 691905"),
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
        Payload("unknown state", "MN", [first], expect=(None, None, "known: TX, NY")),
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
    out += [
        Payload(
            "NY unknown label",
            "NY",
            _ny_with(bad_label),
            NY_DAY,
            expect=(6, "prize_amount", 'unknown prize label "A NEW CAR"'),
        ),
        Payload(
            "NY paid + unpaid != total",
            "NY",
            _ny_with(mismatch),
            NY_DAY,
            expect=(8, "total", "!= total"),
        ),
        Payload(
            "NY game missing from the list",
            "NY",
            _ny_with(listing=orphan),
            NY_DAY,
            expect=(14, "game_number", "game 1464 is not in the game list"),
        ),
        Payload(
            "NY advertised top prize absent",
            "NY",
            _ny_with(listing=no_top),
            NY_DAY,
            expect=(3, "top_prize_amount", "is not among its prize tiers"),
        ),
        Payload("NY blank odds", "NY", _ny_with(listing=blank_odds), NY_DAY),
    ]
    return out


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
            "TX pages: a page in other words (its game keeps odds and tickets unknown)",
            "TX",
            [export, listing, FeedDocument(pages[0].name, bare.encode()), *pages[1:]],
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
        ("odds in words", top("odds", "one in three"), (None, "odds", 'not "1 in X"')),
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
