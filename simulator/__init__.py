"""Behavioural simulator: writes raw.users / raw.viewing_events and sim.* ground truth."""
