"""The SMTP notifier against a real SMTP server (aiosmtpd) on 127.0.0.1, through the dispatcher."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest

from orderfsm.adapters.handlers import MerchantContact, SmtpConfig, SmtpNotifier
from orderfsm.dispatch import Dispatcher, DispatchReport, HandlerRegistry
from orderfsm.persistence import EffectStatus
from orderfsm.persistence.repository import OUTBOX
from orderfsm.samples.builders import OrderSketch, conflict_body
from orderfsm.service import Engine
from tests.support.net import free_port

from .servers import Mailbox, smtp_server
from .support import T0, Clock, clock_after_now, effects, sketch

MERCHANT = MerchantContact(
    name="Example Outfitters",
    email="help@outfitters.example",
    phone="+1 612 555 0100",
    url="https://outfitters.example/help",
)
CODES = ("card_declined", "failed-request", "order-fraud-failure")


@pytest.fixture
def mail() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


def notifier(port: int, **kw: object) -> SmtpNotifier:
    config = SmtpConfig(
        sender="Example Outfitters <orders@outfitters.example>",
        merchant=MERCHANT,
        host="127.0.0.1",
        port=port,
        timeout=10,
    )
    return SmtpNotifier(config, **kw)  # type: ignore[arg-type]


def dispatch(engine: Engine, handler: SmtpNotifier, clock: Clock | None = None) -> DispatchReport:
    registry = HandlerRegistry()
    handler.register(registry)
    return Dispatcher(engine.db, registry, clock=clock or clock_after_now()).run_once()


def cancel_card_order(engine: Engine) -> OrderSketch:
    """An order paid by card, pending, then cancelled by DR; the charge carries a failure code."""
    o = sketch(1, physical=(True, False))
    engine.submit(o.upstream_id, o.checkout_id)
    engine.record_create_order_response(
        o.upstream_id, 201, o.order("pending_payment", T0, charge_state="pending")
    )
    cancelled = o.order("cancelled", T0 + timedelta(hours=2, minutes=5), charge_state="cancelled")
    cancelled["payment"]["sources"][0]["creditCard"] = {"brand": "Visa", "lastFourDigits": "4242"}
    charge = cancelled["payment"]["charges"][0]
    charge.update(failureCode="card_declined", failureMessage="The card was declined.")
    for item in cancelled["items"]:
        item["state"] = "cancelled"
    event = o.event("order.cancelled", cancelled, T0 + timedelta(hours=2, minutes=5))
    assert engine.apply_event(event).state == "cancelled"
    return o


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_the_cancellation_email_contains_every_item_domain_section_4_requires(
    engine: Engine, mail: tuple[int, Mailbox]
) -> None:
    port, mailbox = mail
    cancel_card_order(engine)

    report = dispatch(engine, notifier(port))

    assert report.done == 1
    [(recipients, message)] = mailbox.received
    assert recipients == ["shopper1@example.com"]
    assert message["Subject"] == "Your order UP1 has been cancelled"
    assert message["From"] == "Example Outfitters <orders@outfitters.example>"
    for part in parts(message):
        assert "UP1" in part  # order number
        assert "1 March 2026, 14:05 UTC" in part  # cancellation date (stateTransitions)
        assert "it-1-0" in part and "Product sku-0" in part  # each cancelled item
        assert "it-1-1" in part and "Product sku-1" in part
        assert "Visa ending in 4242" in part  # payment method
        assert "30.00 USD" in part  # total cancelled (10.00 x 1 + 10.00 x 2)
        assert "1 Main St" in part and "Minneapolis, MN 55401" in part  # billing address
        assert "Sam Shopper" in part
        assert "Example Outfitters" in part  # merchant contact
        assert "help@outfitters.example" in part
        assert "+1 612 555 0100" in part
        assert "https://outfitters.example/help" in part
    raw = message.as_string()
    for code in CODES:
        assert code not in raw


def test_the_payment_failed_email_shows_the_message_and_never_the_code(
    engine: Engine, mail: tuple[int, Mailbox]
) -> None:
    port, mailbox = mail
    o = sketch(2)
    engine.submit(o.upstream_id, o.checkout_id)
    engine.record_create_order_response(
        o.upstream_id, 409, conflict_body("failed-request", "Failed to charge source.")
    )
    shopper = {"UP2": "late.shopper@example.com"}  # after a 409 DR has no order, so no email

    report = dispatch(engine, notifier(port, recipient=lambda e: shopper.get(e.upstream_id)))

    assert report.done == 1
    [(recipients, message)] = mailbox.received
    assert recipients == ["late.shopper@example.com"]
    text, html = parts(message)
    assert "Failed to charge source." in text and "Failed to charge source." in html
    assert "failed-request" not in message.as_string()


def test_the_same_effect_sent_twice_carries_the_same_message_id(
    engine: Engine, mail: tuple[int, Mailbox]
) -> None:
    port, mailbox = mail
    cancel_card_order(engine)
    key = "UP1:cancelled:notify_order_cancelled"
    first = dispatch(engine, notifier(port))
    with engine.db.begin() as connection:  # as if the dispatcher died before marking it done
        connection.execute(
            OUTBOX.update().where(OUTBOX.c.idempotency_key == key).values(status="pending")
        )
    second = dispatch(engine, notifier(port))

    assert (first.done, second.done) == (1, 1)
    [one, two] = [message for _, message in mailbox.received]
    assert one["Message-ID"] == two["Message-ID"]


def test_an_order_with_no_customer_email_is_dead_with_the_reason(
    engine: Engine, mail: tuple[int, Mailbox]
) -> None:
    port, mailbox = mail
    o = sketch(3)
    engine.submit(o.upstream_id, o.checkout_id)
    engine.record_create_order_response(
        o.upstream_id, 409, conflict_body("failed-request", "Failed to charge source.")
    )

    report = dispatch(engine, notifier(port))

    row = effects(engine)["UP3:rejected:notify_payment_failed"]
    assert (report.dead, row.status, mailbox.received) == (1, EffectStatus.DEAD, [])
    assert row.last_error == "no customer email for order UP3 (notify_payment_failed)"


def test_a_recipient_the_server_refuses_for_good_is_dead(
    engine: Engine, mail: tuple[int, Mailbox]
) -> None:
    port, mailbox = mail
    mailbox.refuse["shopper1@example.com"] = "550 5.1.1 mailbox unavailable"
    cancel_card_order(engine)

    report = dispatch(engine, notifier(port))

    row = effects(engine)["UP1:cancelled:notify_order_cancelled"]
    assert (report.dead, row.status) == (1, EffectStatus.DEAD)
    assert row.last_error is not None and "recipient refused" in row.last_error
    assert mailbox.received == []


def test_a_recipient_refused_for_now_is_retried(engine: Engine, mail: tuple[int, Mailbox]) -> None:
    port, mailbox = mail
    mailbox.refuse["shopper1@example.com"] = "450 4.2.1 mailbox busy, try later"
    cancel_card_order(engine)
    clock = clock_after_now()

    first = dispatch(engine, notifier(port), clock)
    del mailbox.refuse["shopper1@example.com"]
    clock.advance(timedelta(hours=1))
    second = dispatch(engine, notifier(port), clock)

    assert (first.retried, second.done) == (1, 1)
    assert [recipients for recipients, _ in mailbox.received] == [["shopper1@example.com"]]


def test_an_unreachable_mail_server_is_retried_later(engine: Engine) -> None:
    cancel_card_order(engine)

    report = dispatch(engine, notifier(free_port()))

    row = effects(engine)["UP1:cancelled:notify_order_cancelled"]
    assert (report.retried, row.status, row.attempts) == (1, EffectStatus.FAILED, 1)
    assert row.last_error is not None and row.last_error.startswith("SMTP 127.0.0.1:")


@pytest.mark.parametrize(
    "email",
    [
        "victim@example.com, attacker@example.org",
        "victim@example.com\r\nBcc: attacker@example.org",
        "victim@example.com\nattacker@example.org",
        "Victim <victim@example.com>",
    ],
)
def test_a_customer_email_that_is_not_one_address_is_dead_at_once_and_nothing_is_sent(
    engine: Engine, mail: tuple[int, Mailbox], email: str
) -> None:
    port, mailbox = mail
    o = OrderSketch(
        dr_order_id="DR7",
        checkout_id="CO7",
        upstream_id="UP7",
        items=sketch(7).items,
        charge_ids=("ch-7",),
        email=email,
    )
    engine.submit(o.upstream_id, o.checkout_id)
    engine.record_create_order_response(o.upstream_id, 201, o.order("accepted", T0))

    report = dispatch(engine, notifier(port))

    row = effects(engine)["UP7:accepted:send_order_confirmation"]
    assert (report.dead, row.status, row.attempts) == (1, EffectStatus.DEAD, 1)
    assert row.last_error is not None
    assert row.last_error.startswith("customer email for order UP7 is not one valid address")
    assert "attacker" not in row.last_error
    assert mailbox.received == []


def test_a_valid_customer_email_is_the_only_envelope_recipient(
    engine: Engine, mail: tuple[int, Mailbox]
) -> None:
    port, mailbox = mail
    o = sketch(8)
    engine.submit(o.upstream_id, o.checkout_id)
    engine.record_create_order_response(o.upstream_id, 201, o.order("accepted", T0))

    dispatch(engine, notifier(port))

    assert [recipients for recipients, _ in mailbox.received] == [["shopper8@example.com"]]
