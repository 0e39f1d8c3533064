"""Client errors in the service log: one line each, not a traceback.

BentoML logs every request it answers with a 4xx for a reason of its own (a body that fails validation: 400) at
ERROR with the whole traceback, ~25 lines per bad request; a client sending bad bodies floods the log and hides
the server errors. :class:`OneLineClientErrors` turns those records into one WARNING line naming the fields and
what is wrong with them (never the values sent). Server errors keep their level and traceback.
"""

import logging

BENTOML_HTTP_LOGGER = "bentoml._internal.server.http_app"  # where BentoML logs "Exception on /path [METHOD]"
MAX_PROBLEMS = 3


def client_error_summary(exc: BaseException) -> str | None:
    """What a request did wrong, in one line, if ``exc`` is answered with a 4xx; ``None`` for a server error."""
    from bentoml.exceptions import BentoMLException
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        problems = [
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
        more = f" (+{len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
        return "; ".join(problems[:MAX_PROBLEMS]) + more
    if isinstance(exc, BentoMLException) and 400 <= exc.error_code.value < 500:
        return f"{exc.error_code.value}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    return None


class OneLineClientErrors(logging.Filter):
    """Rewrites a record carrying a client error's exception as one WARNING line; passes every record on."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        summary = client_error_summary(exc) if exc is not None else None
        if summary is not None:
            record.msg = f"{record.getMessage()}: client error, answered 4xx: {summary}"
            record.args = None
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
            record.exc_info, record.exc_text = None, None
        return True


def log_client_errors_in_one_line(logger_name: str = BENTOML_HTTP_LOGGER) -> None:
    """Install :class:`OneLineClientErrors` on BentoML's HTTP logger (once per process)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, OneLineClientErrors) for f in logger.filters):
        logger.addFilter(OneLineClientErrors())
