"""An SMTP notifier for the customer notifications (stdlib smtplib/email, Jinja2 templates).

It handles ``send_order_confirmation``, ``send_payment_instructions``,
``notify_payment_failed``, ``notify_order_blocked`` and
``notify_order_cancelled``: each message has a plain-text and an HTML part,
rendered from ``templates/<effect>.txt.j2`` and ``templates/<effect>.html.j2``
(a host may put its own versions first with ``SmtpConfig.template_dir``). The
text template sets the subject (``{% set subject = ... %}``).

The payloads already hold only text a customer may read (DR's error codes
never reach them); the templates show nothing else. The ``Message-ID`` is
derived from the idempotency key, so a message sent twice after a crash
carries the same id and mail systems that deduplicate by it see one.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

import jinja2
from email_validator import EmailNotValidError, validate_email

from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.errors import EffectDeliveryError, PermanentEffectError
from orderfsm.fsm.effects import EffectName

NOTIFICATIONS = (
    EffectName.SEND_ORDER_CONFIRMATION,
    EffectName.SEND_PAYMENT_INSTRUCTIONS,
    EffectName.NOTIFY_PAYMENT_FAILED,
    EffectName.NOTIFY_ORDER_BLOCKED,
    EffectName.NOTIFY_ORDER_CANCELLED,
)
"""The effects this notifier handles: the ones addressed to the customer."""


@dataclass(frozen=True, slots=True)
class MerchantContact:
    """How customers reach the merchant; printed at the foot of every message."""

    name: str
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    address: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to send, who from, and the merchant's contact details."""

    sender: str
    """The ``From`` address, e.g. ``Example Shop <orders@shop.example>``."""
    merchant: MerchantContact
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    reply_to: str | None = None
    template_dir: Path | None = None
    """Templates here replace the packaged ones of the same name."""


Recipient = Callable[[Effect[Any]], str | None]
"""Finds the customer's address when the payload has none (e.g. after a 409: no DR order)."""


class SmtpNotifier:
    """A handler that emails the customer about their order."""

    def __init__(self, config: SmtpConfig, *, recipient: Recipient | None = None) -> None:
        self.config = config
        self._recipient = recipient
        loaders: list[jinja2.BaseLoader] = []
        if config.template_dir is not None:
            loaders.append(jinja2.FileSystemLoader(config.template_dir))
        loaders.append(jinja2.PackageLoader("orderfsm.adapters.handlers", "templates"))
        self._templates = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._templates.filters["money"] = money
        self._templates.filters["when"] = when

    def register(self, registry: HandlerRegistry) -> None:
        """Make this notifier the handler of every customer notification."""
        for name in NOTIFICATIONS:
            registry.register(name, self)

    def message(self, effect: Effect[Any]) -> EmailMessage:
        """The email for ``effect`` (text and HTML parts), without sending it."""
        if effect.name not in NOTIFICATIONS:
            raise PermanentEffectError(f"the SMTP notifier does not handle {effect.name.value}")
        given = effect.payload.email or (self._recipient(effect) if self._recipient else None)
        if not given:
            raise PermanentEffectError(
                f"no customer email for order {effect.upstream_id} ({effect.name.value})"
            )
        to = customer_address(given, upstream_id=effect.upstream_id)
        context = {
            "effect": effect,
            "payload": effect.payload,
            "merchant": self.config.merchant,
            "order_number": effect.upstream_id,
        }
        text_template = self._templates.get_template(f"{effect.name.value}.txt.j2")
        html = self._templates.get_template(f"{effect.name.value}.html.j2").render(context)
        subject = str(getattr(text_template.make_module(context), "subject", effect.name.value))
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.config.sender
        message["To"] = to
        if self.config.reply_to:
            message["Reply-To"] = self.config.reply_to
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = _message_id(effect.key, self.config.sender)
        message.set_content(text_template.render(context))
        message.add_alternative(html, subtype="html")
        return message

    def __call__(self, effect: Effect[Any]) -> None:
        """Send the email for ``effect``, to its one customer address and no other."""
        message = self.message(effect)
        recipient = str(message["To"])
        try:
            with self._connect() as smtp:
                if self.config.starttls and not self.config.use_ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if self.config.username:
                    smtp.login(self.config.username, self.config.password or "")
                # The envelope recipient given outright: never a list parsed from a header.
                smtp.send_message(message, to_addrs=[recipient])
        except smtplib.SMTPResponseException as exc:
            reason = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentEffectError(reason) from exc
            raise EffectDeliveryError(reason) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            reason = f"recipient refused: {exc.recipients}"
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise PermanentEffectError(reason) from exc
            raise EffectDeliveryError(reason) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise EffectDeliveryError(f"SMTP {self.config.host}:{self.config.port}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        if cfg.use_ssl:
            return smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
            )
        return smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)


def customer_address(given: str, *, upstream_id: str) -> str:
    """The one address ``given`` holds, normalised, or :class:`PermanentEffectError` saying why not.

    A customer email is DR's copy of what the shopper typed: ``victim@x,
    attacker@y`` or a CR/LF in it must not become several recipients or an
    extra header, and retrying cannot make it valid, so the effect goes dead
    at once with the reason (the address itself is left out of the message).
    """
    try:
        checked = validate_email(given, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PermanentEffectError(
            f"customer email for order {upstream_id} is not one valid address: {exc}"
        ) from None
    return str(checked.normalized)


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """``12.50 USD``; an unknown amount as an empty string."""
    if amount is None:
        return ""
    return f"{amount:.2f} {currency}".strip() if currency else f"{amount:.2f}"


def when(moment: datetime | None) -> str:
    """``5 July 2022, 15:17 UTC``."""
    if moment is None:
        return ""
    return f"{moment.day} {moment:%B %Y, %H:%M} {moment.tzname() or 'UTC'}"


def _message_id(key: str, sender: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = sender.rsplit("@", 1)[-1].strip("> ") if "@" in sender else "orderfsm.invalid"
    return f"<{digest}@{domain}>"


def _text(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else raw
