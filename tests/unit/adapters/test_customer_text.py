"""Customer-safe text: DR's message when it is safe, a neutral default otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderfsm.adapters.digitalriver import ErrorBody
from orderfsm.adapters.digitalriver.customer_text import (
    CODE_SHAPED,
    DEFAULT_PAYMENT_FAILED_TEXT,
    MAX_CUSTOMER_TEXT_LENGTH,
    failed_charge_text,
    payment_refusal_text,
    safe_customer_text,
)
from orderfsm.adapters.digitalriver.models_order import OrderCharge


def _body(*errors: dict[str, Any]) -> ErrorBody:
    return ErrorBody.model_validate({"type": "conflict", "errors": list(errors)})


def _charge(**fields: Any) -> OrderCharge:
    return OrderCharge.model_validate({"id": "ch", "state": "failed", **fields})


def test_a_409_tells_drs_message() -> None:
    body = _body({"code": "failed-request", "message": "Failed to charge source."})

    assert payment_refusal_text(body) == "Failed to charge source."


@pytest.mark.parametrize("message", [None, "", "   ", "\n\t"])
def test_a_409_without_a_message_tells_the_neutral_default(message: str | None) -> None:
    body = _body({"code": "failed-request", "message": message})

    assert payment_refusal_text(body) == DEFAULT_PAYMENT_FAILED_TEXT


def test_a_409_with_no_errors_at_all_tells_the_neutral_default() -> None:
    assert payment_refusal_text(_body()) == DEFAULT_PAYMENT_FAILED_TEXT


@pytest.mark.parametrize(
    "message",
    [
        "failed-request",
        "Error failed-request: could not charge",
        "FAILED-REQUEST",
        "code: Failed-Request.",
    ],
)
def test_a_message_that_spells_out_the_code_is_never_shown(message: str) -> None:
    text = payment_refusal_text(_body({"code": "failed-request", "message": message}))

    assert text == DEFAULT_PAYMENT_FAILED_TEXT
    assert "failed-request" not in text.casefold()


def test_a_message_holding_the_code_of_another_error_is_not_shown_either() -> None:
    body = _body(
        {"code": "failed-request", "message": "See card_declined"},
        {"code": "card_declined", "message": "Your card was declined."},
    )

    assert payment_refusal_text(body) == "Your card was declined."


def test_the_first_safe_message_is_told() -> None:
    body = _body(
        {"code": "a-code", "message": "a-code"},
        {"code": "b-code", "message": "Please use another card."},
    )

    assert payment_refusal_text(body) == "Please use another card."


def test_whitespace_is_tidied_and_codes_split_by_whitespace_are_still_caught() -> None:
    assert safe_customer_text("  Failed\n to  charge. ", codes=[]) == "Failed to charge."
    assert safe_customer_text("bad\ncode here", codes=["bad code"]) is None


def test_an_overlong_message_is_not_shown() -> None:
    message = "x" * (MAX_CUSTOMER_TEXT_LENGTH + 1)

    assert safe_customer_text(message, codes=[]) is None
    assert safe_customer_text("x" * MAX_CUSTOMER_TEXT_LENGTH, codes=[]) is not None


def test_blank_or_missing_codes_do_not_hide_a_message() -> None:
    assert safe_customer_text("Declined.", codes=[None, "", "  "]) == "Declined."


def test_a_failed_charge_tells_its_failure_message() -> None:
    charges = [_charge(failureCode="card_declined", failureMessage="Your card was declined.")]

    assert failed_charge_text(charges) == "Your card was declined."


def test_a_failed_charge_without_a_message_tells_the_default_not_its_code() -> None:
    text = failed_charge_text([_charge(failureCode="card_declined")])

    assert text == DEFAULT_PAYMENT_FAILED_TEXT
    assert "card_declined" not in text


def test_the_failed_charges_message_comes_before_other_charges_messages() -> None:
    charges = [
        _charge(id="ch-1", state="capturable", failureMessage="An older note."),
        _charge(id="ch-2", state="failed", failureMessage="Insufficient funds."),
    ]

    assert failed_charge_text(charges) == "Insufficient funds."


def test_a_charge_message_naming_any_charges_failure_code_is_not_shown() -> None:
    charges = [
        _charge(id="ch-1", failureCode="do_not_honor", failureMessage="Declined: do_not_honor"),
        _charge(id="ch-2", state="cancelled", failureCode="expired_card"),
    ]

    assert failed_charge_text(charges) == DEFAULT_PAYMENT_FAILED_TEXT


def test_no_charges_at_all_tell_the_default() -> None:
    assert failed_charge_text([]) == DEFAULT_PAYMENT_FAILED_TEXT


@pytest.mark.parametrize(
    "message",
    [
        "Declined: DO NOT HONOR (processor ref 55)",
        "declined (do-not-honor)",
        "Declined, DoNotHonor.",
        "do.not.honor",
    ],
)
def test_a_code_is_caught_however_it_is_cased_or_separated(message: str) -> None:
    # The red-team case of issue 14: failureCode=do_not_honor, message in capitals.
    charges = [_charge(failureCode="do_not_honor", failureMessage=message)]

    assert failed_charge_text(charges) == DEFAULT_PAYMENT_FAILED_TEXT


@pytest.mark.parametrize("message", ["card_declined", "failed-request", "PROCESSOR_ERROR_12"])
def test_a_message_shaped_like_a_code_is_not_shown_even_when_no_code_is_given(
    message: str,
) -> None:
    assert safe_customer_text(message, codes=()) is None


_WORDS = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8),
    min_size=1,
    max_size=4,
)
_SEPARATORS = st.sampled_from(["_", "-", " ", ".", "", " - ", "/", "\t"])
_PROSE = st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"]), max_size=40)


@given(
    words=_WORDS,
    code_separator=_SEPARATORS,
    message_separator=_SEPARATORS,
    upper=st.lists(st.booleans(), min_size=1, max_size=80),
    before=_PROSE,
    after=_PROSE,
)
def test_a_message_naming_its_code_in_any_case_or_spelling_is_replaced_by_the_default(
    words: list[str],
    code_separator: str,
    message_separator: str,
    upper: list[bool],
    before: str,
    after: str,
) -> None:
    code = code_separator.join(words)
    spelled = "".join(
        char.upper() if upper[i % len(upper)] else char
        for i, char in enumerate(message_separator.join(words))
    )
    message = f"{before} {spelled} {after}"

    text = failed_charge_text([_charge(failureCode=code, failureMessage=message)])

    assert text == DEFAULT_PAYMENT_FAILED_TEXT


@given(message=_PROSE.filter(lambda text: text.strip()))
def test_a_message_naming_no_code_is_told_as_it_was_sent(message: str) -> None:
    expected = " ".join(message.split())
    shown = safe_customer_text(message, codes=("zz_never_in_prose_zz",))

    assert shown in {expected, None}
    if not CODE_SHAPED.fullmatch(expected):
        assert shown == expected
