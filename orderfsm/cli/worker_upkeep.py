"""The worker's periodic steps from its options: ``--reconcile-every``, ``--stuck-every``.

Imports only click (and the light option modules) at import time: ``orderfsm
worker --help`` reads these options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

import click
from click.decorators import FC

from orderfsm.cli.orders import DurationType
from orderfsm.cli.stuck import deadline_option, state_deadlines

if TYPE_CHECKING:
    from orderfsm.adapters.digitalriver.api_calls import CallObserver
    from orderfsm.service.upkeep import Upkeep

NEEDS_DR_KEY = "needs Digital River settings: pass --dr-key or set ORDERFSM_DR_API_KEY"


def upkeep_options(command: FC) -> FC:
    """``--reconcile-every``, ``--stuck-every``, ``--refresh-stuck`` and ``--deadline``."""
    options: list[Callable[[FC], FC]] = [
        click.option(
            "--reconcile-every",
            "reconcile_every",
            type=DurationType(),
            metavar="DURATION",
            help="Reconcile from DR's GET /events this often (30s, 10m, 1h): events whose "
            "webhooks were lost are applied. Needs --dr-key.",
        ),
        click.option(
            "--stuck-every",
            "stuck_every",
            type=DurationType(),
            metavar="DURATION",
            help="Scan for orders past their deadline this often and enqueue "
            "notify_operator_stuck once per order and state [default: --reconcile-every's].",
        ),
        click.option(
            "--refresh-stuck",
            is_flag=True,
            help="Read each stuck order from DR (orderfsm refresh) before notifying "
            "(needs --dr-key).",
        ),
        deadline_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@contextmanager
def upkeep_from_options(
    reconcile_every: timedelta | None,
    stuck_every: timedelta | None,
    refresh_stuck: bool,
    deadlines: dict[str, timedelta],
    dr_url: str,
    dr_key: str | None,
    on_call: CallObserver | None = None,
) -> Iterator[Upkeep | None]:
    """The :class:`~orderfsm.service.upkeep.Upkeep` the options ask for (``None``: none).

    ``on_call`` sees every DR request reconcile and refresh send (the worker's
    ``--metrics-port`` counts them), as it does the fulfilment handler's.
    """
    stuck_every = reconcile_every if stuck_every is None else stuck_every
    for flag, period in (("--reconcile-every", reconcile_every), ("--stuck-every", stuck_every)):
        if period is not None and period <= timedelta(0):
            raise click.UsageError(f"{flag} must be longer than 0s")
    if stuck_every is None and (refresh_stuck or deadlines):
        flag = "--refresh-stuck" if refresh_stuck else "--deadline"
        raise click.UsageError(f"{flag} needs --stuck-every or --reconcile-every")
    if stuck_every is None and reconcile_every is None:
        yield None
        return
    from orderfsm.service.upkeep import Upkeep, UpkeepConfig

    config = UpkeepConfig(
        reconcile_every=reconcile_every,
        stuck_every=stuck_every,
        refresh_stuck=refresh_stuck,
        deadlines=state_deadlines(deadlines),
    )
    if not config.needs_dr:
        yield Upkeep(config)
        return
    if not dr_key:
        flag = "--reconcile-every" if reconcile_every else "--refresh-stuck"
        raise click.UsageError(f"{flag} {NEEDS_DR_KEY}")
    from orderfsm.adapters.digitalriver.api_config import DrApiConfig
    from orderfsm.adapters.digitalriver.client import DrClient

    with DrClient(DrApiConfig(secret_key=dr_key, base_url=dr_url), on_call=on_call) as client:
        yield Upkeep(config, client)
