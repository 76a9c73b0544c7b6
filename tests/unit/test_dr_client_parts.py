"""The DR client's small parts: its configuration, the 429 gate, requests, submission backoff."""

from __future__ import annotations

import pytest

from orderfsm.adapters.digitalriver.api_config import DrApiConfig
from orderfsm.adapters.digitalriver.models_api import FulfillmentLine, FulfillmentRequest
from orderfsm.adapters.digitalriver.rate_gate import RateGate
from orderfsm.errors import ConfigurationError
from orderfsm.sandbox import Scenario
from orderfsm.sandbox.scenarios import scenario_for
from orderfsm.service.submission import SubmissionPolicy


def test_the_config_never_shows_the_key_and_defaults_to_drs_api() -> None:
    config = DrApiConfig(secret_key="sk_live_very_secret")

    assert "sk_live_very_secret" not in repr(config)
    assert config.root == "https://api.digitalriver.com"
    assert (config.connect_timeout_s, config.read_timeout_s) == (10.0, 30.0)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"secret_key": " "}, "secret key is empty"),
        ({"secret_key": "k", "base_url": "api.digitalriver.com"}, "must be http(s)://"),
        ({"secret_key": "k", "max_attempts": 0}, "max_attempts must be at least 1"),
        ({"secret_key": "k", "read_timeout_s": 0}, "read_timeout_s must be positive"),
        ({"secret_key": "k", "backoff_jitter_s": -1}, "backoff_jitter_s must not be negative"),
    ],
)
def test_a_config_it_cannot_work_with_is_refused_in_one_line(
    options: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        DrApiConfig(**options)  # type: ignore[arg-type]


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_gate_holds_until_the_longest_retry_after_and_then_lets_everything_through() -> None:
    time = FakeTime()
    gate = RateGate(clock=time.clock, sleep=time.sleep)

    gate.wait()
    gate.hold(3)
    gate.hold(1)  # a shorter hold never shortens the longer one
    gate.wait()
    gate.wait()

    assert time.slept == [3.0]
    assert gate.remaining() == 0


def test_a_fulfilment_request_has_drs_shape() -> None:
    request = FulfillmentRequest(
        "240000000001",
        (
            FulfillmentLine("24000000000101", 2),
            FulfillmentLine("24000000000102", cancel_quantity=1),
        ),
        tracking_company="Fedex",
    )

    assert request.to_json() == {
        "orderId": "240000000001",
        "items": [
            {"itemId": "24000000000101", "quantity": 2},
            {"itemId": "24000000000102", "cancelQuantity": 1},
        ],
        "trackingCompany": "Fedex",
    }


def test_a_negative_quantity_is_refused_naming_the_item() -> None:
    with pytest.raises(ConfigurationError, match="item i-1: quantities must not be negative"):
        FulfillmentLine("i-1", -1)


def test_submission_backoff_doubles_up_to_its_cap() -> None:
    policy = SubmissionPolicy(backoff_initial_s=0.5, backoff_max_s=1.5)

    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 1.5, 1.5]
    with pytest.raises(ConfigurationError, match="max_posts must be at least 1"):
        SubmissionPolicy(max_posts=0)


def test_a_checkout_id_names_its_scenario_by_prefix() -> None:
    assert scenario_for("review_then_blocked-7", Scenario.ACCEPTED) is Scenario.REVIEW_THEN_BLOCKED
    assert (
        scenario_for("review_then_accepted-7", Scenario.ACCEPTED) is Scenario.REVIEW_THEN_ACCEPTED
    )
    assert scenario_for("chk-7", Scenario.INCOMPLETE) is Scenario.INCOMPLETE
