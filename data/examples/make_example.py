"""Write the example platform log in this folder: ``python data/examples/make_example.py``.

The committed CSV files are the data; this script only says how they were made, and
``tests/e2e/test_real_log.py`` checks that it still writes them byte for byte.

- ``HANDMADE`` and ``BAD_ROWS`` below are written by hand: the real-log shapes whose marts the
  test works out by hand (isolated titles that no other user watches) and one or more rows of
  every kind the loader must reject. ``README.md`` describes each of them.
- The background (about 40 users on eleven popular titles) is drawn from a seeded
  ``random.Random``, only so that the model step has enough labelled plays of both kinds. It never
  touches the hand-made titles and ends before the log's newest play (u-e1's last play).

Every time is local with its UTC offset; a play has an end time, never seconds watched; titles
are named by a MyAnimeList URL, by the catalogue's anime_id or by their exact title (with type
and year where the title alone is ambiguous).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLAYS_FILE = HERE / "plays.csv"
LATE_FILE = HERE / "plays_late.csv"
USERS_FILE = HERE / "users.csv"

PLAY_COLUMNS = ["viewer", "show", "show_kind", "show_year", "ep", "started", "ended", "screen"]
USER_COLUMNS = ["account_id", "joined", "home_country", "main_screen", "subscription"]

# viewer, show, kind, year, ep, started, ended, screen. One block per hand-worked user.
HANDMADE = """
u-a1,https://myanimelist.net/anime/25835/Shirobako,,,1,2026-09-02T20:00:00+02:00,2026-09-02T20:24:00+02:00,tv
u-a1,https://myanimelist.net/anime/25835/Shirobako,,,2,2026-09-02T20:26:00+02:00,2026-09-02T20:50:00+02:00,tv
u-a1,https://myanimelist.net/anime/25835/Shirobako,,,3,2026-09-03T21:00:00+02:00,2026-09-03T21:24:00+02:00,tv
u-a1,https://myanimelist.net/anime/25835/Shirobako,,,2,2026-09-04T21:00:00+02:00,2026-09-04T21:24:00+02:00,tv
u-a1,https://myanimelist.net/anime/25835/Shirobako,,,4,2026-09-05T21:00:00+02:00,2026-09-05T21:24:00+02:00,tv
u-a2,mal-25835,,,1,2026-09-02T19:00:00-04:00,2026-09-02T19:24:00-04:00,desktop
u-a2,mal-25835,,,2,2026-09-03T19:00:00-04:00,2026-09-03T19:24:00-04:00,desktop
u-a2,mal-25835,,,3,2026-09-04T19:00:00-04:00,2026-09-04T19:24:00-04:00,desktop
u-a2,mal-25835,,,4,2026-09-05T19:00:00-04:00,2026-09-05T19:24:00-04:00,desktop
u-a2,mal-25835,,,5,2026-09-06T19:00:00-04:00,2026-09-06T19:10:00-04:00,desktop
u-a2,mal-25835,,,5,2026-09-07T08:00:00-04:00,2026-09-07T08:14:00-04:00,mobile
u-a2,mal-25835,,,6,2026-09-07T19:00:00-04:00,2026-09-07T19:24:00-04:00,desktop
u-a3,Shirobako,TV,2014,1,2026-09-03T21:00:00+09:00,2026-09-03T21:24:00+09:00,mobile
u-a3,Shirobako,TV,2014,3,2026-09-04T21:00:00+09:00,2026-09-04T21:24:00+09:00,mobile
u-b1,https://myanimelist.net/anime/326,,,1,2026-09-08T20:00:00+01:00,2026-09-08T20:23:00+01:00,tv
u-b1,https://myanimelist.net/anime/326,,,2,2026-09-08T20:25:00+01:00,2026-09-08T20:48:00+01:00,tv
u-b1,https://myanimelist.net/anime/326,,,2,2026-09-08T20:25:00+01:00,2026-09-08T20:48:00+01:00,tv
u-b1,https://myanimelist.net/anime/326,,,3,2026-09-09T20:00:00+01:00,2026-09-09T20:23:00+01:00,tv
u-b1,https://myanimelist.net/anime/326,,,4,2026-09-10T20:00:00+01:00,2026-09-10T20:23:00+01:00,tv
u-b1,https://myanimelist.net/anime/326,,,1,2026-09-12T10:00:00+01:00,2026-09-12T10:23:00+01:00,tablet
u-b2,Petshop of Horrors,,,3,2026-09-09T21:00:00+05:30,2026-09-09T21:23:00+05:30,mobile
u-b2,Petshop of Horrors,,,1,2026-09-10T21:00:00+05:30,2026-09-10T21:23:00+05:30,mobile
u-b2,Petshop of Horrors,,,2,2026-09-11T21:00:00+05:30,2026-09-11T21:23:00+05:30,mobile
u-s1,Afro Samurai,,,1,2026-09-06T20:00:00+09:00,2026-09-06T20:26:00+09:00,tv
u-s1,mal-22507,,,1,2026-09-06T20:05:00+09:00,2026-09-06T20:10:00+09:00,mobile
u-s1,Afro Samurai,,,2,2026-09-06T20:54:00+09:00,2026-09-06T21:20:00+09:00,tv
u-s1,mal-22507,,,2,2026-09-06T21:25:00+09:00,2026-09-06T21:52:00+09:00,tv
u-s1,Afro Samurai,,,3,2026-09-06T21:58:00+09:00,2026-09-06T22:24:00+09:00,tv
u-s1,mal-22507,,,3,2026-09-07T21:00:00+09:00,2026-09-07T21:27:00+09:00,desktop
u-s1,Afro Samurai,,,4,2026-09-07T22:30:00+09:00,2026-09-07T22:56:30+09:00,desktop
u-e1,https://myanimelist.net/anime/31722,,,1,2026-10-10T16:30:00+02:00,2026-10-10T16:54:00+02:00,tv
u-e1,https://myanimelist.net/anime/31722,,,2,2026-10-21T20:00:00+02:00,2026-10-21T20:24:00+02:00,tv
u-e1,https://myanimelist.net/anime/31722,,,3,2026-10-24T16:30:00+02:00,2026-10-24T16:54:00+02:00,tv
"""

# The late file: plays a device synced after the first export (all start before its newest play),
# loaded with --append and no users file: u-9c41, new, gets a users row derived from its plays;
# the last row was in the first export already (dropped as an overlap).
HANDMADE_LATE = """
u-a2,mal-25835,,,7,2026-09-12T13:00:00-04:00,2026-09-12T13:24:00-04:00,tablet
u-9c41,Tokyo Ghoul,,,1,2026-10-05T21:00:00+09:00,2026-10-05T21:24:00+09:00,mobile
u-9c41,Tokyo Ghoul,,,2,2026-10-05T21:26:00+09:00,2026-10-05T21:50:00+09:00,mobile
u-s1,Afro Samurai,,,1,2026-09-06T20:00:00+09:00,2026-09-06T20:26:00+09:00,tv
"""

# One or more of each kind of row the loader must reject (the README lists the reasons).
BAD_ROWS = """
,Steins;Gate,,,3,2026-09-15T21:00:00+09:00,2026-09-15T21:24:00+09:00,tv
u-7f3a,Steins;Gate,,,4,15/09/2026 9pm,2026-09-15T21:24:00+09:00,tv
u-7f3a,Steins;Gate,,,4,soon,2026-09-15T21:24:00+09:00,tv
u-7f3a,,,,2,2026-09-16T21:00:00+09:00,2026-09-16T21:24:00+09:00,tv
u-7f3a,Definitely Not An Anime,,,1,2026-09-16T22:00:00+09:00,2026-09-16T22:24:00+09:00,tv
u-7f3a,https://myanimelist.net/anime/99999999,,,1,2026-09-16T23:00:00+09:00,2026-09-16T23:24:00+09:00,tv
u-7f3a,Shirobako,,,1,2026-09-17T21:00:00+09:00,2026-09-17T21:24:00+09:00,tv
u-7f3a,Golden Kamuy,,,1,2026-09-17T22:00:00+09:00,2026-09-17T22:23:00+09:00,tv
u-7f3a,mal-9253,,,0,2026-09-18T21:00:00+09:00,2026-09-18T21:24:00+09:00,tv
u-7f3a,mal-9253,,,-2,2026-09-18T22:00:00+09:00,2026-09-18T22:24:00+09:00,tv
u-b2,Petshop of Horrors,,,5,2026-09-12T21:00:00+05:30,2026-09-12T21:23:00+05:30,mobile
u-7f3a,mal-9253,,,30,2026-09-19T21:00:00+09:00,2026-09-19T21:24:00+09:00,tv
u-7f3a,mal-9253,,,5,2026-09-20T21:00:00+09:00,2026-09-20T20:50:00+09:00,tv
u-7f3a,mal-9253,,,5,2026-09-20T22:00:00+09:00,2026-09-20T22:00:00+09:00,tv
u-7f3a,mal-9253,,,5,2026-09-21T21:00:00+09:00,2026-09-22T02:00:00+09:00,tv
u-7f3a,mal-9253,,,6,2027-03-01T21:00:00+09:00,2027-03-01T21:24:00+09:00,tv
u-7f3a,mal-9253,,,ep3,2026-09-22T21:00:00+09:00,2026-09-22T21:24:00+09:00,tv
u-7f3a,mal-9253,,,two,2026-09-22T22:00:00+09:00,2026-09-22T22:24:00+09:00,tv
u-7f3a,mal-9253,,,7,,2026-09-23T21:24:00+09:00,tv
u-7f3a,mal-9253,,,7,2026-09-23T21:00:00+09:00,??,tv
"""

# Users file rows for the hand-made users (u-0ff1, who has plays, is left out on purpose).
HANDMADE_USERS = [
    ("u-a1", "2026-08-20 09:00:00", "DE", "tv", "premium"),
    ("u-a2", "2026-08-21 23:30:00", "US", "desktop", "free"),
    ("u-a3", "2026-08-25 12:00:00", "JP", "mobile", "free"),
    ("u-b1", "2026-09-01 18:00:00", "GB", "tv", "premium"),
    ("u-b2", "2026-09-02 15:00:00", "IN", "mobile", "free"),
    ("u-s1", "2026-08-30 10:00:00", "JP", "tv", "premium"),
    ("u-e1", "2026-10-01 08:00:00", "FR", "tv", "free"),
    ("u-7f3a", "2026-09-01 12:00:00", "JP", "tv", "free"),
]

# Background titles: (reference options, episodes, duration seconds). A reference is a
# (show, kind, year) triple; Golden Kamuy and Bocchi the Rock! need their type and year.
BACKGROUND_TITLES = [
    ("mal-16498", "Shingeki no Kyojin", 16498, 25, 1440),
    ("mal-9253", "Steins;Gate", 9253, 24, 1440),
    ("mal-6547", "Angel Beats!", 6547, 13, 1560),
    ("mal-4224", "Toradora!", 4224, 25, 1380),
    ("mal-22319", "Tokyo Ghoul", 22319, 12, 1440),
    ("mal-9756", "Mahou Shoujo Madoka★Magica", 9756, 12, 1440),
    ("mal-19815", "No Game No Life", 19815, 12, 1380),
    ("mal-31043", "Boku dake ga Inai Machi", 31043, 12, 1380),
    ("mal-1", "Cowboy Bebop", 1, 26, 1440),
    ("t-76a08dcb45efe464", "Golden Kamuy", None, 12, 1380),
    ("t-5befa9c417e0a758", "Bocchi the Rock!", None, 12, 1380),
]
SETTLED = {"Golden Kamuy": ("TV", "2018"), "Bocchi the Rock!": ("TV", "2022")}
ZONES = [("+09:00", "JP"), ("+02:00", "DE"), ("+01:00", "GB"), ("-04:00", "US"), ("-07:00", "US"),
         ("+05:30", "IN"), ("+10:00", "AU"), ("-03:00", "BR")]  # fmt: skip
DEVICES = ["tv", "mobile", "desktop", "tablet"]
N_BACKGROUND_USERS = 40
SEED = 20261003
FIRST_DAY = dt.datetime(2026, 9, 1)
# background plays end before this (UTC): u-e1's last play (2026-10-24 14:30 UTC) is the newest
LAST_START = dt.datetime(2026, 10, 24, 12, 0)
LATE_SHARE = 0.03
GHOST = "u-0ff1"  # has plays, no users row


def _rows(block: str) -> list[list[str]]:
    return [next(csv.reader([line])) for line in block.strip().splitlines()]


def _local(utc: dt.datetime, offset: str) -> str:
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    shift = dt.timedelta(hours=hours, minutes=minutes) * sign
    return (utc + shift).strftime("%Y-%m-%dT%H:%M:%S") + offset


def _reference(rng: random.Random, title: tuple) -> tuple[str, str, str]:
    anime_id, name, mal_id, _, _ = title
    if name in SETTLED:
        return (name, *SETTLED[name]) if rng.random() < 0.7 else (anime_id, "", "")
    choice = rng.choice(["url", "url_slug", "anime_id", "title"])
    if choice == "url":
        return f"https://myanimelist.net/anime/{mal_id}", "", ""
    if choice == "url_slug":
        return f"https://myanimelist.net/anime/{mal_id}/{name.replace(' ', '_')}", "", ""
    return (anime_id if choice == "anime_id" else name), "", ""


def background(rng: random.Random) -> tuple[list[tuple[dt.datetime, list[str]]], list[tuple]]:
    """(UTC start, row) of every background play, and the background users' rows."""
    plays: list[tuple[dt.datetime, list[str]]] = []
    users: list[tuple] = []
    names = sorted({f"u-{rng.getrandbits(16):04x}" for _ in range(N_BACKGROUND_USERS * 2)})
    names = [n for n in names if n not in {u[0] for u in HANDMADE_USERS}][:N_BACKGROUND_USERS]
    names[0] = GHOST
    for name in names:
        offset, country = rng.choice(ZONES)
        device = rng.choice(DEVICES)
        signed_up = FIRST_DAY - dt.timedelta(days=12) + dt.timedelta(minutes=rng.randrange(40 * 24 * 60))
        if name != GHOST:
            plan = "premium" if rng.random() < 0.35 else "free"
            users.append((name, f"{signed_up:%Y-%m-%d %H:%M:%S}", country, device, plan))
        binge = rng.choice([1, 2, 3, 4])
        day = max(signed_up.date(), FIRST_DAY.date()) + dt.timedelta(days=rng.randrange(5))
        for title in rng.sample(BACKGROUND_TITLES, rng.choice([1, 2, 2, 3])):
            show, kind, year = _reference(rng, title)
            episodes, duration = title[3], title[4]
            episode, title_day = 1, day
            while episode <= episodes:
                # an evening session, local time 19:00-23:00, written back in UTC
                local_start = dt.datetime.combine(title_day, dt.time(19)) + dt.timedelta(
                    minutes=rng.randrange(240)
                )
                sign = 1 if offset[0] == "+" else -1
                start = local_start - sign * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
                stop = False
                for _ in range(rng.randint(1, binge)):
                    if start > LAST_START or episode > episodes:
                        stop = True
                        break
                    partial = rng.random() < 0.15
                    watched = (
                        int(duration * rng.uniform(0.2, 0.7)) if partial else duration - rng.randrange(0, 90)
                    )
                    screen = device if rng.random() < 0.8 else rng.choice(DEVICES)
                    end = start + dt.timedelta(seconds=watched)
                    row = [name, show, kind, year, str(episode), _local(start, offset), _local(end, offset)]
                    plays.append((start, [*row, screen]))
                    episode += 1
                    if rng.random() < (0.35 if partial else 0.07):
                        stop = True
                        break
                    start = end + dt.timedelta(minutes=rng.randint(1, 6))
                if stop:
                    break
                title_day += dt.timedelta(days=rng.choice([0, 1, 1, 1, 2, 2, 3, 4, 6, 9, 16, 20]))
            day += dt.timedelta(days=rng.randint(0, 10))
    return plays, users


def _csv(header: list[str], rows: list) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def render() -> dict[Path, str]:
    """The three files' contents."""
    rng = random.Random(SEED)
    plays, users = background(rng)
    plays.sort(key=lambda p: (p[0], p[1][0]))
    late = [row for _, row in plays if rng.random() < LATE_SHARE]
    late_ids = {id(row) for row in late}
    main = [row for _, row in plays if id(row) not in late_ids]
    # one exact duplicate of a background play as well (u-b1's episode 2 is the hand-made one)
    main.insert(len(main) // 2, list(main[len(main) // 2]))
    all_users = sorted([*HANDMADE_USERS, *users])
    # three rows the users file gets wrong: no id, a sign-up time that is not a time, and a second
    # row for u-a1 (the first row of an id is kept)
    all_users += [
        ("", "2026-09-03 10:00:00", "JP", "tv", "free"),
        ("u-bad1", "last tuesday", "JP", "tv", "free"),
        ("u-a1", "2026-09-05 09:00:00", "AT", "mobile", "free"),
    ]
    return {
        PLAYS_FILE: _csv(PLAY_COLUMNS, [*_rows(HANDMADE), *_rows(BAD_ROWS), *main]),
        LATE_FILE: _csv(PLAY_COLUMNS, [*_rows(HANDMADE_LATE), *late]),
        USERS_FILE: _csv(USER_COLUMNS, all_users),
    }


def main() -> int:
    for path, text in render().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.name}: {text.count(chr(10)) - 1} rows, {len(text.encode()):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
