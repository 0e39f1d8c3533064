"""The non-blank rule: what the OpenAPI pattern allows, the validator accepts, and the other way round."""

import pytest

from sikap.service.api_models import _not_blank

# whitespace to Python only (\x1c-\x1f, \x85), to ECMA-262 regexes only (\ufeff), and to both
BLANK = ["\x1e", "\x1c\x1f", "\x85", "\ufeff", "\u3000 \t\n", ""]


@pytest.mark.parametrize("text", BLANK)
def test_blank_for_either_engine_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="empty or only whitespace"):
        _not_blank(text)


@pytest.mark.parametrize("text", ["a", "\x1eRusia", "\ufeffNATO"])
def test_any_other_character_makes_it_non_blank(text: str) -> None:
    assert _not_blank(text) == text
