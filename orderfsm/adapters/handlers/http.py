"""An HTTP fulfilment client (httpx): ship requests and digital deliveries POSTed as JSON.

Each effect is POSTed to the URL configured for it, its payload as the JSON
body, with an ``Idempotency-Key`` header holding the effect's key (the same
on every attempt). The answer decides:

=============================  =========================================
answer                         result
=============================  =========================================
2xx                            done
409                            done: the receiver already has this key
408, 425, 429                  retried (the receiver asks to come back)
other 4xx                      dead (:class:`PermanentEffectError`)
3xx, 5xx, timeout, no answer   retried (:class:`EffectDeliveryError`)
=============================  =========================================

408, 425 and 429 are 4xx answers that say "not now" rather than "never", so
they are retried like a 5xx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import httpx

from orderfsm.closing import Closing
from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.errors import EffectDeliveryError, PermanentEffectError
from orderfsm.fsm.effects import EffectName

IDEMPOTENCY_HEADER = "Idempotency-Key"
EFFECT_HEADER = "Orderfsm-Effect"
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})
"""4xx answers that ask the client to try again later."""
MAX_BODY_IN_ERROR = 300


@dataclass(frozen=True, slots=True)
class HttpFulfilmentConfig:
    """Where each kind of fulfilment request goes; an effect without a URL is not handled."""

    shipment_url: str | None = None
    """Receives ``request_shipment`` payloads."""
    digital_delivery_url: str | None = None
    """Receives ``deliver_digital`` payloads."""
    cancellation_url: str | None = None
    """Receives ``cancel_fulfillment`` payloads."""
    timeout: float = 10.0
    """Seconds for connecting, and for each read or write."""
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Extra headers on every request (e.g. ``Authorization``)."""

    def urls(self) -> dict[EffectName, str]:
        """The effect names that have a URL, with it."""
        listed = {
            EffectName.REQUEST_SHIPMENT: self.shipment_url,
            EffectName.DELIVER_DIGITAL: self.digital_delivery_url,
            EffectName.CANCEL_FULFILLMENT: self.cancellation_url,
        }
        return {name: url for name, url in listed.items() if url}


class HttpFulfilmentClient(Closing):
    """A handler that POSTs fulfilment effects to the configured URLs."""

    def __init__(
        self, config: HttpFulfilmentConfig, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.config = config
        self._urls = config.urls()
        self._client = httpx.Client(
            timeout=config.timeout,
            headers=dict(config.headers),
            transport=transport,
            follow_redirects=False,
        )

    def register(self, registry: HandlerRegistry) -> None:
        """Make this client the handler of every effect it has a URL for."""
        for name in self._urls:
            registry.register(name, self)

    def __call__(self, effect: Effect[Any]) -> None:
        """POST ``effect``; return when the receiver has it, raise otherwise."""
        url = self._urls.get(effect.name)
        if url is None:
            raise PermanentEffectError(f"no URL configured for {effect.name.value}")
        try:
            response = self._client.post(
                url,
                json=effect.payload.model_dump(mode="json"),
                headers={IDEMPOTENCY_HEADER: effect.key, EFFECT_HEADER: effect.name.value},
            )
        except httpx.HTTPError as exc:
            raise EffectDeliveryError(f"POST {url}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if response.is_success or status == httpx.codes.CONFLICT:
            return
        reason = f"POST {url} answered {status}: {response.text[:MAX_BODY_IN_ERROR]}"
        if 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS:
            raise PermanentEffectError(reason)
        raise EffectDeliveryError(reason)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
