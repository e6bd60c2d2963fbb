"""User-facing errors: the CLI prints them as one line and exits with code 2."""


class SimulatorError(Exception):
    """A bad argument, config or warehouse; the message is shown to the user as is."""
