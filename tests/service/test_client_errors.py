"""Client errors are one WARNING line in the service log; server errors keep their traceback."""

import io
import logging

import pytest
from bentoml.exceptions import BadInput, InternalServerError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sikap.service.client_errors import OneLineClientErrors, client_error_summary, log_client_errors_in_one_line


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sentences: list[str] = Field(min_length=1)


def validation_error(payload: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate_json(payload)
    return caught.value


def logged(exc: BaseException, name: str = "sikap-test.client-errors") -> str:
    """What a logger with the filter writes for ``exc`` logged as BentoML does."""
    logger = logging.getLogger(name)
    logger.propagate = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.handlers = [handler]
    log_client_errors_in_one_line(name)
    log_client_errors_in_one_line(name)  # installed once
    assert sum(isinstance(f, OneLineClientErrors) for f in logger.filters) == 1
    try:
        raise exc
    except type(exc):
        logger.error("Exception on %s [%s]", "/classify", "POST", exc_info=True)
    return stream.getvalue()


def test_a_body_that_fails_validation_is_one_warning_line_without_the_values_sent() -> None:
    text = logged(validation_error('{"sentence": ["rahasia redaksi"]}'))
    assert text.count("\n") == 1 and "Traceback" not in text
    assert text.startswith("WARNING Exception on /classify [POST]: client error, answered 4xx: ")
    assert "sentences: Field required" in text and "sentence: Extra inputs are not permitted" in text
    assert "rahasia" not in text


def test_broken_json_and_many_problems_are_summed_up() -> None:
    assert client_error_summary(validation_error('{"sentences":')).startswith("body: Invalid JSON")
    many = validation_error('{"sentences": [1, 2, 3, 4, 5]}')
    summary = client_error_summary(many)
    assert summary.count("Input should be a valid string") == 3 and summary.endswith("(+2 more)")


def test_server_errors_keep_their_level_and_traceback() -> None:
    text = logged(RuntimeError("the model failed"))
    assert text.startswith("ERROR Exception on /classify [POST]") and "Traceback" in text and "the model failed" in text
    assert client_error_summary(InternalServerError("boom")) is None
    assert client_error_summary(BadInput("no sentences given")) == "400: no sentences given"
