"""Errors a user can fix: raised by the engine with a message meant to be shown as it is."""


class ManyeyesError(Exception):
    """Base of the errors that carry a message for the user, never a traceback."""


class ReviewInputError(ManyeyesError):
    """The request cannot be planned: a missing path, no git repository, a bad range or ref."""


class ConfigError(ManyeyesError):
    """A setting that cannot fall back, such as an unknown concern asked for on the command line."""
