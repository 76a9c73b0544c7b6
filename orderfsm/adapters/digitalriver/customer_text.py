"""The one place that builds what a customer may read about a failed payment.

DR explains a refusal twice: a machine ``code`` (``failed-request``) or
``failureCode`` for us, and a ``message`` / ``failureMessage`` a shopper may
see. Only the second ever reaches a customer, and only when it does not
itself spell out a code; otherwise a neutral default is used. The codes stay
in internal records (the stored snapshot), never in customer text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from orderfsm.adapters.digitalriver.models import ErrorBody
from orderfsm.adapters.digitalriver.models_order import OrderCharge

DEFAULT_PAYMENT_FAILED_TEXT = (
    "We could not process your payment. Please try another payment method."
)
"""Shown when DR gave no message a customer may read."""

ORDER_BLOCKED_TEXT = (
    "We could not complete your order and your payment method has not been charged. "
    "Please contact us if you have any questions."
)
"""Shown when DR blocks an order (fraud or denied-party screening); DR gives no reason."""

MAX_CUSTOMER_TEXT_LENGTH = 300
"""Longer messages are not DR's short sentences: the default is used instead."""

# One token joined by _ or - (``failed-request``, ``card_declined``): a machine
# code, not a sentence, even when it is not among the codes given.
CODE_SHAPED = re.compile(r"[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)+")
"""What a message shaped like a machine code looks like; never shown to a customer."""


def safe_customer_text(message: str | None, *, codes: Iterable[str | None]) -> str | None:
    """``message`` tidied for a customer, or ``None`` if it must not be shown.

    Refused: a missing, blank or over-long message; one that names any of
    ``codes`` however it is cased or separated (``do_not_honor``, ``DO NOT
    HONOR``, ``do-not-honor`` and ``DoNotHonor`` are one code), so a code can
    never slip out inside the text meant to replace it; and one that is itself
    shaped like a code (a single ``word_with-separators``).
    """
    if not message:
        return None
    text = _tidy(message)
    if not text or len(text) > MAX_CUSTOMER_TEXT_LENGTH or CODE_SHAPED.fullmatch(text):
        return None
    folded, letters = text.casefold(), _letters(text)
    for code in codes:
        if code and _names(folded, letters, code):
            return None
    return text


def _names(folded: str, letters: str, code: str) -> bool:
    """Whether a message (case-folded, and as letters and digits only) spells ``code``."""
    # As written (a code of punctuation only has no letters to compare), and
    # as its letters and digits, whatever the case and separators between them.
    as_written = _tidy(code).casefold()
    as_letters = _letters(code)
    return bool(as_written and as_written in folded) or bool(as_letters and as_letters in letters)


def payment_refusal_text(body: ErrorBody) -> str:
    """What to tell the customer after a 409 answer to ``POST /orders``."""
    codes = body.codes
    for error in body.errors:
        text = safe_customer_text(error.message, codes=codes)
        if text is not None:
            return text
    return DEFAULT_PAYMENT_FAILED_TEXT


def failed_charge_text(charges: Iterable[OrderCharge]) -> str:
    """What to tell the customer after ``order.charge.failed``.

    The failed charges' ``failureMessage`` comes first; a message on another
    charge is used only when no failed charge has one.
    """
    listed = tuple(charges)
    codes = tuple(charge.failure_code for charge in listed)
    failed_first = sorted(listed, key=lambda charge: charge.state != "failed")
    for charge in failed_first:
        text = safe_customer_text(charge.failure_message, codes=codes)
        if text is not None:
            return text
    return DEFAULT_PAYMENT_FAILED_TEXT


def _letters(text: str) -> str:
    """Only the letters and digits, case-folded: how a code is compared, whatever its spelling."""
    return "".join(char for char in text.casefold() if char.isalnum())


def _tidy(text: str) -> str:
    """Collapse every run of whitespace (newlines, tabs) to one space."""
    return " ".join(text.split())
