"""The worker's DR part: the ``report_fulfillment`` handler when DR settings are given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Console

from orderfsm.cli.redact import redact
from orderfsm.cli.text import plain
from orderfsm.fsm.effects import EffectName
from orderfsm.service.worker_reports import timestamp

if TYPE_CHECKING:
    from orderfsm.dispatch import HandlerRegistry

NO_DR_SETTINGS = (
    f"no Digital River settings (--dr-key / ORDERFSM_DR_API_KEY): "
    f"{EffectName.REPORT_FULFILLMENT.value} effects are not sent to DR"
)


@contextmanager
def dr_fulfilments(
    registry: HandlerRegistry, dr_url: str, dr_key: str | None
) -> Iterator[Callable[[], None]]:
    """Register the DR fulfilment handler (unless the host has one) while the worker runs.

    Yields the notice to print once the worker has started (its database
    opened), on stderr (stdout is the worker's report lines): where the
    fulfilments go, or that without a key they wait (or go to a ``--sink``)
    like any effect without a handler.
    """
    console = Console(stderr=True, highlight=False)
    if EffectName.REPORT_FULFILLMENT in registry:
        yield lambda: None
        return
    if not dr_key:
        yield lambda: console.print(plain(f"{_now()} {NO_DR_SETTINGS}", "yellow"), soft_wrap=True)
        return
    from orderfsm.adapters.digitalriver.api_config import DrApiConfig
    from orderfsm.adapters.digitalriver.client import DrClient
    from orderfsm.adapters.handlers.dr_fulfilment import DrFulfilmentHandler

    with DrClient(DrApiConfig(secret_key=dr_key, base_url=dr_url)) as client:
        DrFulfilmentHandler(client).register(registry)

        def notice() -> None:
            line = f"{_now()} {EffectName.REPORT_FULFILLMENT.value} effects go to DR at {dr_url}"
            console.print(plain(redact(line)), soft_wrap=True)

        yield notice


def _now() -> str:
    return timestamp(datetime.now(UTC))
