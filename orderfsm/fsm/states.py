"""The upstream order's states and the triggers that move it.

Values are the strings stored in the database and shown to operators, so
renaming a member is a schema change.
"""

from __future__ import annotations

from enum import StrEnum


class OrderState(StrEnum):
    """Where the platform's own order stands against Digital River."""

    SUBMITTED = "submitted"
    """``POST /orders`` was sent; no answer that moves the order is recorded yet."""
    PENDING_PAYMENT = "pending_payment"
    IN_REVIEW = "in_review"
    ACCEPTED = "accepted"
    FULFILLED = "fulfilled"
    COMPLETE = "complete"
    RETURNED = "returned"
    REJECTED = "rejected"
    """DR refused the order with a 409 payment failure; the shopper needs a new checkout."""
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class Trigger(StrEnum):
    """What a DR answer or event asks the machine to do (verbs)."""

    AWAIT_PAYMENT = "await_payment"
    OPEN_REVIEW = "open_review"
    ACCEPT = "accept"
    REJECT_PAYMENT = "reject_payment"
    BLOCK = "block"
    CANCEL = "cancel"
    FULFIL = "fulfil"
    COMPLETE = "complete"
    RETURN = "return"
    FAIL_CHARGE = "fail_charge"
    NOTE_CHECKOUT_CONSUMED = "note_checkout_consumed"
    NOTE_CHECKOUT_INCOMPLETE = "note_checkout_incomplete"
    LINK_DR_ORDER = "link_dr_order"
    OPEN_DISPUTE = "open_dispute"
    RESOLVE_DISPUTE = "resolve_dispute"
    RECORD_FULFILLMENT = "record_fulfillment"
    RECORD_CHARGE_CAPTURED = "record_charge_captured"
    RECORD_CAPTURE_FAILED = "record_capture_failed"
    RECORD_CHARGE_CANCELLED = "record_charge_cancelled"
    RECORD_REFUND = "record_refund"
    REPORT_FULFILLMENT = "report_fulfillment"
    """The platform shipped or cancelled items (its own signal, not DR's)."""


PLATFORM_TRIGGERS = frozenset({Trigger.REPORT_FULFILLMENT})
"""Triggers the platform's own calls fire; every other one comes from DR."""
