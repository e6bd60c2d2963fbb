"""Users: the users file's rows (checked), the rows derived from plays, and every user's BIGINT id.

Ids: when every source user id (in the files, and already loaded on --append) is an integer
written plainly (`42`, not `042` or `4.2e1`), the id is that integer. Otherwise users get dense ids
in order of first appearance (users-file rows in file order, then users known only from their plays
by their first play), continuing after the largest id already loaded; a source id loaded before
keeps its id (raw.users.source_user_id -> user_id).

A derived user (no users file, or `missing_users = "derive"`): signed_up_at = the first play's
start, device = the most frequent device of the user's plays (ties: alphabetical), country and plan
the same way from the plays' columns when mapped, else null.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from ingest.events import reasons as r
from ingest.events.fields import Columns
from ingest.events.mapping import UsersMapping
from ingest.events.plays import timestamp_literal
from warehouse.sql import one_row, quote_literal

CANONICAL = "coalesce(cast(try_cast({0} as bigint) as varchar) = {0}, false)"


def stage_users_file(
    con: duckdb.DuckDBPyConnection, columns: Columns, users: UsersMapping, as_of: datetime
) -> None:
    """Temp table _users_checked: one row per users-file row, with a reason code."""
    columns.require(users.user, "user")
    columns.require(users.signed_up_at, "signed_up_at")
    optional = {name: columns.optional(getattr(users, name), name) for name in ("country", "device", "plan")}
    values = []
    for name, column in optional.items():
        text = columns.text(column) if column else "null::varchar"
        values.append(f"{'lower(' + text + ')' if name == 'device' else text} as {name}")
    staged = columns.staged
    parse = f"""
        select
            {staged.pos} as __x_pos, {staged.file_index} as __x_file, {staged.row_number} as __x_row,
            {columns.text(users.user)} as __user,
            {columns.present(users.signed_up_at)} as __su_present,
            {columns.timestamp(users.signed_up_at, "signed_up_at", users.zone)} as __su_parsed,
            {", ".join(values)},
            {staged.row_json()} as __row_json
        from {staged.table} as s
    """
    first_rules = f"""
        select *, case
            when __user is null then {r.USER_MISSING_ID}
            when not __su_present then {r.USER_MISSING_SIGNUP}
            when __su_parsed is null or not isfinite(__su_parsed) then {r.USER_UNPARSABLE_SIGNUP}
            when __su_parsed > {timestamp_literal(as_of)} then {r.USER_FUTURE_SIGNUP}
            else 0
        end as __code0
        from ({parse})
    """
    con.execute(
        f"""
        create or replace temp table _users_checked as
        select
            __x_pos as pos, __user as source_user_id, __su_parsed as signed_up_at, country, device, plan,
            cast(case
                when __code0 > 0 then __code0
                when row_number() over (partition by __user, __code0 = 0 order by __x_pos) > 1
                    then {r.USER_DUPLICATE}
                else 0
            end as utinyint) as code,
            __x_file as file_index, __x_row as row_number, __row_json as source_row
        from ({first_rules})
        """
    )


def user_reject_rows_sql(source_files: list[str]) -> str:
    files = "[" + ", ".join(quote_literal(f) for f in source_files) + "]"
    return (
        f"select {files}[file_index + 1] as source_file, row_number as source_row_number, "
        f"{r.text_sql('code', r.USER_REASONS)} as reason, source_row "
        "from _users_checked where code > 0 order by pos"
    )


def stage_existing(con: duckdb.DuckDBPyConnection, has_users: bool, columns: set[str]) -> None:
    """Temp table _existing_users(source_user_id, user_id, is_derived) from raw.users (on --append)."""
    if not has_users:
        con.execute(
            "create or replace temp table _existing_users "
            "(source_user_id varchar, user_id bigint, is_derived boolean)"
        )
        return
    source = "source_user_id" if "source_user_id" in columns else "cast(user_id as varchar)"
    derived = "coalesce(is_derived, false)" if "is_derived" in columns else "false"
    con.execute(
        f"create or replace temp table _existing_users as select {source} as source_user_id, "
        f"user_id, {derived} as is_derived from raw.users"
    )


def _as_key(source_sql: str, key_type: str) -> str:
    if key_type == "VARCHAR":
        return source_sql
    return f"case when {CANONICAL.format(source_sql)} then cast({source_sql} as bigint) end"


def stage_known(con: duckdb.DuckDBPyConnection, key_type: str) -> None:
    """Temp table _known_users(user_key): users-file ids and already loaded ids, as the plays' key."""
    key = _as_key("source_user_id", key_type)
    con.execute(
        f"create or replace temp table _known_users as select distinct {key}::{key_type} as user_key from ("
        "select source_user_id from _users_checked where code = 0 "
        "union all select source_user_id from _existing_users) where source_user_id is not null"
    )


def stage_play_users(con: duckdb.DuckDBPyConnection, kept: str, country: bool, plan: bool) -> None:
    """Temp table _play_users: per user of the kept plays, the first play and each column's mode."""
    extra = [c for c, used in (("country", country), ("plan", plan)) if used]
    group = ", ".join(["user_key", "device", *extra])
    con.execute(
        f"create or replace temp table _play_combos as select {group}, count(*) as n, "
        f"min(started_at) as first_start, min(pos) as first_pos from _plays where {kept} group by all"
    )

    # one small aggregate per column over the (user, device[, country, plan]) combinations
    parts = ["user_key", "min(first_start) as signed_up_at", "min(first_pos) as first_pos"]
    con.execute(
        f"create or replace temp table _play_users_base as select {', '.join(parts)} "
        "from _play_combos group by user_key"
    )
    selects = ["b.*"]
    joins = []
    for column in ("device", *extra):
        con.execute(
            f"create or replace temp table _mode_{column} as select user_key, "
            f"first({column} order by n desc, {column}) as {column} from (select user_key, {column}, "
            f"sum(n) as n from _play_combos where {column} is not null group by all) group by user_key"
        )
        selects.append(f"_mode_{column}.{column}")
        joins.append(f"left join _mode_{column} using (user_key)")
    for column in ("country", "plan"):
        if column not in extra:
            selects.append(f"null::varchar as {column}")
    con.execute(
        f"create or replace temp table _play_users as select {', '.join(selects)} "
        f"from _play_users_base as b {' '.join(joins)}"
    )


def stage_user_map(con: duckdb.DuckDBPyConnection, key_type: str, derive_missing: bool) -> bool:
    """Temp tables _new_users (rows to add) and _user_map (user_key -> user_id); True in integer mode."""
    derive = (
        "select cast(p.user_key as varchar) as source_user_id, 1 as from_plays, p.first_pos as ord "
        "from _play_users as p"
        if derive_missing
        else "select null::varchar, 1, 0 where false"
    )
    con.execute(
        f"""
        create or replace temp table _new_ids as
        with candidates as (
            select source_user_id, 0 as from_plays, pos as ord from _users_checked where code = 0
            union all
            {derive}
        )
        select source_user_id, min(from_plays) as from_plays,
            row_number() over (
                order by min(from_plays), coalesce(min(ord) filter (where from_plays = 0), min(ord))
            ) as seq
        from candidates
        anti join _existing_users using (source_user_id)
        group by source_user_id
        """
    )
    all_integers = one_row(
        con, f"select coalesce(bool_and({CANONICAL.format('source_user_id')}), true) from _new_ids"
    )[0]
    identity = one_row(
        con, "select coalesce(bool_and(source_user_id = cast(user_id as varchar)), true) from _existing_users"
    )[0]
    integer_mode = bool(all_integers and identity)
    new_id = (
        "cast(source_user_id as bigint)"
        if integer_mode
        else "(select coalesce(max(user_id), 0) from _existing_users) + seq"
    )
    con.execute(
        f"create or replace temp table _new_users as select source_user_id, {new_id} as user_id, "
        "from_plays = 1 as is_derived from _new_ids"
    )
    con.execute(
        f"create or replace temp table _user_map as select {_as_key('source_user_id', key_type)}::{key_type} "
        "as user_key, user_id from (select source_user_id, user_id from _existing_users "
        "union all select source_user_id, user_id from _new_users) where source_user_id is not null"
    )
    return integer_mode


def new_user_rows_sql(key_type: str) -> str:
    """The users to add: file rows as given, derived rows from their plays."""
    key = _as_key("n.source_user_id", key_type)
    return f"""
        select n.user_id, coalesce(f.signed_up_at, p.signed_up_at) as signed_up_at,
            case when n.is_derived then p.country else f.country end as country,
            case when n.is_derived then p.device else f.device end as device,
            case when n.is_derived then p.plan else f.plan end as plan,
            n.source_user_id, n.is_derived
        from _new_users as n
        left join (select * from _users_checked where code = 0) as f
            on not n.is_derived and f.source_user_id = n.source_user_id
        left join _play_users as p on n.is_derived and p.user_key = {key}
    """


def derived_updates_sql(key_type: str) -> str:
    """Already loaded derived users whose new plays start before their sign-up: the earlier start."""
    key = _as_key("e.source_user_id", key_type)
    return (
        "select e.user_id, p.signed_up_at from _existing_users as e "
        f"inner join _play_users as p on p.user_key = {key} where e.is_derived"
    )
