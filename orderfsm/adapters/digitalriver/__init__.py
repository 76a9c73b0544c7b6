"""The Digital River adapter: DR payloads in, lifecycle signals out, signatures checked.

- :mod:`.models`, :mod:`.models_order`, :mod:`.models_other`: pydantic models of
  what DR sends (extra fields kept, what the engine needs validated);
- :mod:`.parse`: raw payload to model; any failure is one ``PayloadError``;
- :mod:`.mapping`: THE table from a DR answer or event to a trigger;
- :mod:`.customer_text`: the only place building text a customer may read;
- :mod:`.signature`: the ``DigitalRiver-Signature`` check;
- :mod:`.snapshot`: the stored order snapshot read back (e.g. its redirect URL);
- :mod:`.effect_payloads`: DR's order to the effect payloads of :mod:`orderfsm.effects`.
"""

from orderfsm.adapters.digitalriver.mapping import (
    EVENT_TABLE,
    map_create_order_response,
    map_event,
    signal_from_body,
)
from orderfsm.adapters.digitalriver.models import ErrorBody, Event
from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.adapters.digitalriver.models_other import Charge, Fulfillment, Refund
from orderfsm.adapters.digitalriver.parse import parse_error_body, parse_event, parse_order
from orderfsm.adapters.digitalriver.signature import (
    SIGNATURE_HEADER,
    SignatureConfig,
    sign,
    verify_signature,
)
from orderfsm.adapters.digitalriver.snapshot import redirect_url, snapshot_order

__all__ = [
    "Charge",
    "EVENT_TABLE",
    "ErrorBody",
    "Event",
    "Fulfillment",
    "Order",
    "Refund",
    "SIGNATURE_HEADER",
    "SignatureConfig",
    "map_create_order_response",
    "map_event",
    "parse_error_body",
    "parse_event",
    "parse_order",
    "redirect_url",
    "sign",
    "signal_from_body",
    "snapshot_order",
    "verify_signature",
]
