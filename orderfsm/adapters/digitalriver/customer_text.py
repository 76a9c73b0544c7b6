"""The one place that builds what a customer may read about a failed payment.

DR explains a refusal twice: a machine ``code`` (``failed-request``) or
``failureCode`` for us, and a ``message`` / ``failureMessage`` a shopper may
see. Only the second ever reaches a customer, and only when it does not
itself spell out a code; otherwise a neutral default is used. The codes stay
in internal records (the stored snapshot), never in customer text.
"""

from __future__ import annotations

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


def safe_customer_text(message: str | None, *, codes: Iterable[str | None]) -> str | None:
    """``message`` tidied for a customer, or ``None`` if it must not be shown.

    Refused: a missing, blank or over-long message, and one that contains any
    of ``codes`` (ignoring case and runs of whitespace), so a code can never slip out
    inside the text meant to replace it.
    """
    if not message:
        return None
    text = _tidy(message)
    if not text or len(text) > MAX_CUSTOMER_TEXT_LENGTH:
        return None
    folded = text.casefold()
    for code in codes:
        if code and (needle := _tidy(code).casefold()) and needle in folded:
            return None
    return text


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


def _tidy(text: str) -> str:
    """Collapse every run of whitespace (newlines, tabs) to one space."""
    return " ".join(text.split())
