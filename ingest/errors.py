"""The one exception type the ingest CLI turns into a single error line."""


class IngestError(Exception):
    """A user-facing problem with the input: printed as one line, exit code 2."""
