"""Every reason a play or a users-file row is rejected for (docs/ingest-events.md lists them).

Staging stores a small code per row (0 = accepted); the text is written only into the rejects
tables. The first rule that holds, in code order, names the row's reason.
"""

from __future__ import annotations

from warehouse.sql import quote_literal

ACCEPTED = 0

# plays (raw.viewing_events_rejects)
MISSING_USER = 1
MISSING_TITLE = 2
UNMATCHED_TITLE = 3
AMBIGUOUS_TITLE = 4
AMBIGUOUS_MAL = 5
MISSING_START = 6
UNPARSABLE_START = 7
FUTURE_START = 8
MISSING_EPISODE = 9
EPISODE_NOT_INTEGER = 10
EPISODE_BELOW_1 = 11
EPISODE_ABOVE_COUNT = 12
MISSING_WATCHED = {"watched_seconds": 13, "ended_at": 14, "completion": 15}
UNPARSABLE_WATCHED = {"watched_seconds": 16, "ended_at": 17, "completion": 18}
WATCHED_NOT_POSITIVE = 19
END_NOT_AFTER_START = 20
COMPLETION_NO_DURATION = 21
WATCHED_ABOVE_DURATION = 22
WATCHED_OVER_A_DAY = 23
USER_NOT_IN_USERS_FILE = 24

PLAY_REASONS: dict[int, str] = {
    MISSING_USER: "missing user",
    MISSING_TITLE: "missing title",
    UNMATCHED_TITLE: "unmatched title: not in the catalogue",
    AMBIGUOUS_TITLE: "ambiguous title: several catalogue entries share it",
    AMBIGUOUS_MAL: "ambiguous MAL id: several catalogue entries share it",
    MISSING_START: "missing start time",
    UNPARSABLE_START: "unparsable start time",
    FUTURE_START: "start in the future (after --as-of)",
    MISSING_EPISODE: "missing episode",
    EPISODE_NOT_INTEGER: "episode not an integer",
    EPISODE_BELOW_1: "episode below 1",
    EPISODE_ABOVE_COUNT: "episode above the title's episode count",
    13: "missing watched seconds",
    14: "missing end time",
    15: "missing completion",
    16: "unparsable watched seconds",
    17: "unparsable end time",
    18: "unparsable completion",
    WATCHED_NOT_POSITIVE: "watched time not positive",
    END_NOT_AFTER_START: "end not after start",
    COMPLETION_NO_DURATION: "completion with no known duration",
    WATCHED_ABOVE_DURATION: "watched time above the duration + tolerance",
    WATCHED_OVER_A_DAY: "watched time over 24 hours (no known duration)",
    USER_NOT_IN_USERS_FILE: "user not in the users file",
}

# users file (raw.users_rejects)
USER_MISSING_ID = 1
USER_MISSING_SIGNUP = 2
USER_UNPARSABLE_SIGNUP = 3
USER_FUTURE_SIGNUP = 4
USER_DUPLICATE = 5

USER_REASONS: dict[int, str] = {
    USER_MISSING_ID: "missing user",
    USER_MISSING_SIGNUP: "missing sign-up time",
    USER_UNPARSABLE_SIGNUP: "unparsable sign-up time",
    USER_FUTURE_SIGNUP: "sign-up in the future (after --as-of)",
    USER_DUPLICATE: "duplicate user (an earlier row has the same id)",
}

TOLERANCE_SECONDS = 60
TOLERANCE_FRACTION = 0.1
MAX_WATCHED_UNKNOWN_DURATION = 86_400


def text_sql(code_sql: str, reasons: dict[int, str]) -> str:
    """SQL turning a code column into its reason text."""
    top = max(reasons)
    items = ", ".join(quote_literal(reasons.get(code, "")) for code in range(1, top + 1))
    return f"([{items}])[{code_sql}]"


def case_sql(rules: list[tuple[str, int]]) -> str:
    """`case when <condition> then <code> ... else 0 end` as a UTINYINT."""
    branches = "\n".join(f"            when {cond} then {code}" for cond, code in rules)
    return f"cast(case\n{branches}\n            else {ACCEPTED}\n        end as utinyint)"
