"""Simulated time: seconds after the window start (midnight of its first day), and its fixed spans."""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.settings import continuation_horizon_days, session_idle_minutes

DAY = 86400.0
HOUR = 3600.0
# The idle gap that separates sessions: the simulator's session rule is dbt's.
SESSION_GAP = session_idle_minutes() * 60.0
# A continued title's next episode is due at most a day inside the label horizon (pushed back at most
# by the other plays in flight), so the draw "continue" is exactly the SQL label.
MAX_NEXT_GAP = (continuation_horizon_days() - 1) * DAY


@dataclass(frozen=True)
class Window:
    end: float  # seconds after window start (midnight of the start date)
    start_weekday: int  # Monday = 0
