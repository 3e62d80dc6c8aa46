"""Every matcher kind, the BFCL normalisation and the type-aware number rules."""

from __future__ import annotations

import pytest

from harness.eval.matchers import (
    MatcherError,
    compile_matcher,
    normalize_text,
    parse_instant,
    parse_matcher,
    parse_tolerance,
)

INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
SORT_ENUM = {"type": "string", "enum": ["recent_first", "oldest_first"]}


def accepts(definition, value, schema=None) -> bool:
    return parse_matcher(definition).matches(value, schema)


def test_normalize_text_drops_case_space_and_punctuation() -> None:
    assert normalize_text("  True-Crime, Podcasts! ") == "truecrimepodcasts"
    assert normalize_text("ＡＢＣ") == "abc"  # full-width folds under NFKC
    assert normalize_text("瞑想。") == "瞑想"


@pytest.mark.parametrize(
    ("expected", "value", "ok"),
    [
        ("English", "english", True),
        ("true crime", "True-Crime", True),
        ("English", "French", False),
        ("93", 93, False),  # a string parameter does not accept a number
    ],
)
def test_literal_strings_use_bfcl_normalisation(expected, value, ok) -> None:
    assert accepts(expected, value) is ok


def test_literal_enum_is_case_insensitive_but_keeps_punctuation() -> None:
    assert accepts("oldest_first", "OLDEST_FIRST", SORT_ENUM)
    assert not accepts("oldest_first", "oldest first", SORT_ENUM)


@pytest.mark.parametrize(
    ("expected", "value", "schema", "ok"),
    [
        (10, 10, None, True),
        (10, 10.0, None, True),  # integral float accepted for an int
        (10, 10.5, None, False),
        (10, "10", INTEGER, True),  # numeric string coerced for an integer parameter
        (10, "10", None, True),  # the expectation is an int, so the parameter is numeric
        (10, "ten", INTEGER, False),
        (10, 10.0, INTEGER, True),
        (1.5, 1.5, None, True),
        (2.0, 2, NUMBER, True),  # ints are accepted for floats
        (1, True, INTEGER, False),  # booleans are not numbers
        (True, 1, None, False),
        (True, True, None, True),
    ],
)
def test_literal_numbers_are_type_aware(expected, value, schema, ok) -> None:
    assert accepts(expected, value, schema) is ok


def test_iequals_ignores_case_not_punctuation() -> None:
    matcher = {"iequals": '"How I Built This"'}
    assert accepts(matcher, '"how i built this"')
    assert accepts(matcher, ' "HOW I BUILT THIS" ')
    assert not accepts(matcher, "how i built this")
    assert not accepts(matcher, 5)


def test_exact_is_verbatim() -> None:
    assert accepts({"exact": "SDFKduyJ47r"}, "SDFKduyJ47r")
    assert not accepts({"exact": "SDFKduyJ47r"}, "sdfkduyj47r")
    assert not accepts({"exact": "SDFKduyJ47r"}, " SDFKduyJ47r")


def test_contains_compares_normalised_text() -> None:
    assert accepts({"contains": "true crime"}, "Best TRUE-CRIME shows")
    assert not accepts({"contains": "true crime"}, "crime stories")
    assert not accepts({"contains": "x"}, None)
    assert parse_matcher({"contains": "cook", "example": "cooking"}).example() == "cooking"


def test_one_of_accepts_any_option_and_describes_them() -> None:
    matcher = parse_matcher({"one_of": ["gb", {"iequals": "uk"}]})
    assert matcher.matches("GB") and matcher.matches("UK")
    assert not matcher.matches("us")
    assert matcher.describe() == "one of 'gb', 'uk'"
    assert matcher.example() == "gb"


@pytest.mark.parametrize(
    ("bounds", "value", "schema", "ok"),
    [
        ([15, 20], 20, None, True),
        ([15, 20], 15, None, True),
        ([15, 20], 21, None, False),
        ([15, 20], "18", None, True),
        ([15, 20], 17.5, None, True),
        ([15, 20], 17.5, INTEGER, False),
        ([None, 5], -100, None, True),
        ([5, None], 10**9, None, True),
        ([5, None], "many", None, False),
    ],
)
def test_range(bounds, value, schema, ok) -> None:
    assert accepts({"range": bounds}, value, schema) is ok


def test_range_needs_a_bound_and_an_order() -> None:
    with pytest.raises(MatcherError, match="at least one bound"):
        parse_matcher({"range": [None, None]})
    with pytest.raises(MatcherError, match="empty"):
        parse_matcher({"range": [5, 1]})


def test_timestamp_tolerance() -> None:
    start_2023 = 1672531200000
    matcher = parse_matcher({"timestamp": "2023-01-01"})  # default tolerance: one day
    assert matcher.example() == start_2023
    assert matcher.matches(start_2023)
    assert matcher.matches(start_2023 - 86_400_000)
    assert matcher.matches(str(start_2023 + 3_600_000))
    assert not matcher.matches(start_2023 + 86_400_001)
    assert not matcher.matches(start_2023 // 1000)  # seconds are not milliseconds
    assert not matcher.matches("2023-01-01")
    tight = parse_matcher({"timestamp": "2023-01-01T00:00:00Z", "tolerance": "1h"})
    assert tight.matches(start_2023 + 3_600_000)
    assert not tight.matches(start_2023 + 3_600_001)


def test_parse_instant_and_tolerance() -> None:
    assert parse_instant("1970-01-02") == 86_400_000
    assert parse_instant("1970-01-01T01:00:00+01:00") == 0
    assert parse_tolerance("90s") == 90_000
    assert parse_tolerance("2d") == 172_800_000
    assert parse_tolerance(250) == 250
    with pytest.raises(MatcherError, match="tolerance"):
        parse_tolerance("a week")
    with pytest.raises(MatcherError, match="ISO date"):
        parse_instant("last tuesday")


def test_regex_fullmatch_and_example() -> None:
    matcher = parse_matcher({"regex": r"(?i).*\bAI\b.*", "example": "AI news"})
    assert matcher.matches("latest ai research")
    assert not matcher.matches("blockchain")
    assert not matcher.matches(None)
    assert parse_matcher({"regex": "[0-9]+", "example": "7"}).matches(42)
    with pytest.raises(MatcherError, match="invalid regex"):
        parse_matcher({"regex": "[a-", "example": "a"})
    with pytest.raises(MatcherError, match="example"):
        parse_matcher({"regex": "[0-9]+", "example": "seven"})


def test_csv_is_order_insensitive() -> None:
    matcher = parse_matcher({"csv": ["93", "127"]})
    assert matcher.matches("127,93")
    assert matcher.matches("93, 127")
    assert not matcher.matches("93")
    assert not matcher.matches("93,127,68")
    assert parse_matcher({"csv": ["93"]}).matches(93)
    assert matcher.example() == "93,127"


def test_any_value() -> None:
    matcher = parse_matcher({"any": True, "example": "x"})
    assert matcher.matches("anything") and matcher.matches(0)
    assert matcher.example() == "x"


def test_malformed_definitions() -> None:
    with pytest.raises(MatcherError, match="exactly one of"):
        parse_matcher({"iequals": "a", "exact": "a"})
    with pytest.raises(MatcherError, match="exactly one of"):
        parse_matcher({"similar": "a"})
    with pytest.raises(MatcherError, match="unsupported"):
        parse_matcher(None)


def test_quotes_that_mark_a_phrase_survive_normalisation() -> None:
    from harness.eval.matchers import Equals, normalize_text

    phrase = Equals('"game of thrones"')
    assert phrase.matches('"Game of Thrones"')
    assert phrase.matches("“game of thrones”")  # typographic quotes are the same quotes
    assert not phrase.matches("game of thrones")  # an unquoted search is not a phrase search
    assert not Equals("game of thrones").matches('"game of thrones"')
    assert normalize_text("True-Crime!") == normalize_text("true crime")  # other punctuation goes


def test_a_compiled_matcher_keeps_its_schema() -> None:
    matcher = parse_matcher({"range": [1, 10]})
    assert compile_matcher(matcher, INTEGER)("3") and not compile_matcher(matcher, INTEGER)(3.5)
    assert compile_matcher(matcher, None)(3.5)
    literal = compile_matcher(parse_matcher("Recent_First"), SORT_ENUM)
    assert literal(" recent_first") and not literal("recent first")
    assert compile_matcher(parse_matcher("Recent_First"), None)("recent first")
    number = compile_matcher(parse_matcher(3), NUMBER)
    assert number(3) and number(3.0) and number(" 3 ") and not number(True) and not number(3.5)
    either = compile_matcher(parse_matcher({"one_of": [3, {"regex": "^a+$"}]}), INTEGER)
    assert either("3") and either("aa") and not either(3.5) and not either("b")
