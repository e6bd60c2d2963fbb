"""`python -m ingest events`: a platform's own viewing log into raw.viewing_events and raw.users.

mapping (the TOML column mapping) -> sources (find and read the files) -> titles (match titles to
the catalogue) -> plays (parse and check every play) -> users (users file, derived users, ids) ->
numbering (duplicates, overlaps, event ids) -> publish (one transaction); load runs them in order,
cli prints the summary. docs/ingest-events.md describes the behaviour.
"""
