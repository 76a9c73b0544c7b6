"""Shared by the DR client, submission and sandbox tests: a real sandbox on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from orderfsm.adapters.digitalriver.api_config import DrApiConfig
from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.sandbox import RunningSandbox, SandboxConfig, sandbox_in_thread

FAST_RETRIES = {"backoff_initial_s": 0.01, "backoff_max_s": 0.05, "backoff_jitter_s": 0.01}
"""Short waits between retries, so the tests exercise them without sleeping long."""


@contextmanager
def sandbox_and_client(
    config: SandboxConfig | None = None, **client_options: Any
) -> Iterator[tuple[RunningSandbox, DrClient]]:
    """A fresh sandbox in a thread and a client pointed at it (real HTTP on 127.0.0.1)."""
    with sandbox_in_thread(config) as sandbox:
        options = {**FAST_RETRIES, **client_options}
        config_ = DrApiConfig(secret_key=sandbox.key, base_url=sandbox.url, **options)
        with DrClient(config_) as client:
            yield sandbox, client


def control(sandbox: RunningSandbox, method: str, path: str, **kwargs: Any) -> Any:
    """Call the sandbox's control API and return its JSON answer."""
    response = httpx.request(method, f"{sandbox.url}/_sandbox/{path}", timeout=10, **kwargs)
    response.raise_for_status()
    return response.json()


def set_faults(sandbox: RunningSandbox, spec: str) -> None:
    """Faults from now on (see ``orderfsm.sandbox.faults``)."""
    control(sandbox, "POST", "faults", json={"spec": spec})


def dr_orders_for(sandbox: RunningSandbox, checkout_id: str) -> list[dict[str, Any]]:
    """Every order the sandbox holds for a checkout, faults or not."""
    data: list[dict[str, Any]] = control(
        sandbox, "GET", "orders", params={"checkoutId": checkout_id}
    )["data"]
    return data


def requests_seen(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """The API requests the sandbox received, with its own arrival times."""
    data: list[dict[str, Any]] = control(sandbox, "GET", "requests")["data"]
    return data
