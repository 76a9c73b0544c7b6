"""The DR client's call hook, counted by ``Metrics.dr_call``, against the sandbox over real HTTP."""

from __future__ import annotations

import logging

import pytest

from orderfsm.adapters.digitalriver.api_calls import DrCall
from orderfsm.adapters.digitalriver.api_config import DrApiConfig
from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.errors import DrRequestRejected, DrUnreachable
from orderfsm.observability import Metrics
from tests.dr_helpers import sandbox_and_client, set_faults
from tests.support.metrics import scrape


def dr_calls(metrics: Metrics) -> dict[tuple[str, str, str], float]:
    return {
        (labels["method"], labels["endpoint"], labels["status"]): v
        for (name, frozen), v in scrape(metrics.registry).items()
        if name == "orderfsm_dr_api_calls_total"
        for labels in [dict(frozen)]
    }


def test_every_request_is_counted_by_path_template_and_status_each_retry_included() -> None:
    metrics = Metrics()
    with sandbox_and_client() as (sandbox, client):
        client.on_call = metrics.dr_call
        for n in range(3):
            client.create_order(f"chk-{n}")
        with pytest.raises(DrRequestRejected):
            client.get_order("999")
        made = client.list_orders(limit=100).items[0].model.id
        client.get_order(made)
        set_faults(sandbox, "5xx=2")
        client.get_order(made)  # two 5xx answers, retried, then 200

    assert dr_calls(metrics) == {
        ("POST", "/orders", "201"): 3,
        ("GET", "/orders/{id}", "404"): 1,
        ("GET", "/orders", "200"): 1,
        ("GET", "/orders/{id}", "200"): 2,
        ("GET", "/orders/{id}", "500"): 2,
    }


def test_a_request_nobody_answers_is_counted_as_such() -> None:
    metrics = Metrics()
    with sandbox_and_client() as (sandbox, _client):
        url = sandbox.url
    # The sandbox is gone: its port refuses connections.
    config = DrApiConfig(secret_key="sk_test_x", base_url=url, max_attempts=1)
    with DrClient(config, on_call=metrics.dr_call) as gone, pytest.raises(DrUnreachable):
        gone.list_events()

    assert dr_calls(metrics) == {("GET", "/events", "connect_failed"): 1}


def test_an_observer_that_raises_never_turns_an_answer_into_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[DrCall] = []

    def broken(call: DrCall) -> None:
        seen.append(call)
        raise RuntimeError("observer bug")

    with sandbox_and_client() as (_sandbox, client):
        client.on_call = broken
        with caplog.at_level(logging.ERROR):
            answer = client.create_order("chk-1")

    assert answer.status == 201 and answer.order is not None
    assert [(c.call, c.status) for c in seen] == [("POST /orders", "201")]
    assert "call observer failed on POST /orders" in caplog.text
