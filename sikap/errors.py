"""Exceptions that carry a message fit to show a user as is."""


class SikapError(Exception):
    """An error whose message says what went wrong, where, and how to fix it."""


class ModelNotFoundError(SikapError):
    """No model matches the requested tag, or the base model cannot be loaded."""


class InputError(SikapError):
    """Input data (a file, a record, a request) is malformed."""
