-- A prize tier is keyed by its index within its game's day, not by its amount: two tiers of one
-- game may pay the same amount (New York prints six such games: "$5K/WK/LIFE" next to "$5,000",
-- a free $1 play next to "$1"). The label keeps what the state published; prize_amount is its
-- value in dollars (trainer/data/feeds/README.md, "New York prize labels").
-- tier_index 1 is the game's advertised top prize, then the others by amount, largest first
-- (trainer/scratchoff/feeds/common.py). Rows stored before this migration get exactly that
-- numbering and the amount as their label, as a canonical file without the columns would.
alter table public.prize_tiers
  add column tier_index smallint check (tier_index >= 1),
  add column prize_label text check (length(prize_label) > 0);

update public.prize_tiers t
set tier_index = r.n,
  prize_label = '$' || to_char(trunc(t.prize_amount), 'FM999,999,999,990')
    || case when t.prize_amount <> trunc(t.prize_amount)
       then '.' || to_char(round((t.prize_amount - trunc(t.prize_amount)) * 100), 'FM00') else '' end
from (select game_id, snapshot_date, prize_amount,
        row_number() over (partition by game_id, snapshot_date order by prize_amount desc) as n
      from public.prize_tiers) r
where r.game_id = t.game_id and r.snapshot_date = t.snapshot_date
  and r.prize_amount = t.prize_amount;

alter table public.prize_tiers
  alter column tier_index set not null,
  alter column prize_label set not null,
  drop constraint prize_tiers_pkey,
  add constraint prize_tiers_pkey primary key (game_id, snapshot_date, tier_index);
