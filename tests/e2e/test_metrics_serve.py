"""``GET /metrics`` and ``--log-format json`` on a real ``orderfsm serve`` in a subprocess."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from orderfsm import Engine
from orderfsm.adapters.http.config import ENV_BASIC_AUTH_PASSWORD, ENV_SECRETS
from orderfsm.persistence import inbox as store
from orderfsm.samples.builders import Item, OrderSketch
from tests.e2e.http_receiver import running_receiver, signed_headers
from tests.e2e.test_http_serve import basic, fresh_db
from tests.support.metrics import by_label, parse, value

SECRET = "whsec_metrics_do_not_print_5d1c"
PASSWORD = "metrics-basic-pass-do-not-print-0b7e"
DB_PASSWORD = "metrics-db-pass-do-not-print-c4a2"
EVENTS = sorted((Path(__file__).parents[1] / "fixtures" / "dr" / "events").glob("order.*.json"))
WEBHOOKS = "orderfsm_webhooks_received_total"


def shop(url: str) -> Counter[str]:
    """Three orders in the database (one accepted), and their count per state."""
    with Engine.open(url, create_if_empty=True) as engine:
        for n in range(1, 4):
            engine.submit(f"UP-{n}", f"co-{n}")
        o = OrderSketch("dr-1", "co-1", "UP-1", [Item("it-1", "sku", 1, 5.0, True)])
        at = datetime(2026, 5, 4, tzinfo=UTC)
        engine.apply_event(o.event("order.accepted", o.order("accepted", at), at))
        return Counter(view.state for view in engine.orders())


def webhooks(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> dict[str, float]:
    return {
        f"{labels['code']} {labels['answer']}": v
        for (name, frozen), v in samples.items()
        if name == WEBHOOKS
        for labels in [dict(frozen)]
    }


def test_metrics_count_each_answer_exactly_and_the_orders_gauges_match_the_database(
    tmp_path: Path,
) -> None:
    url = fresh_db(tmp_path)
    states = shop(url)
    bodies = [path.read_bytes() for path in EVENTS[:3]]
    with running_receiver(url, env={ENV_SECRETS: SECRET}) as receiver:
        codes = [  # three new events, then two of them again
            httpx.post(
                receiver.webhook_url, content=body, headers=signed_headers(body, SECRET), timeout=30
            ).status_code
            for body in [*bodies, *bodies[:2]]
        ]
        for junk in (b'{"id": "e-1"}', b"[1, 2]"):
            codes.append(
                httpx.post(
                    receiver.webhook_url, content=junk, headers=signed_headers(junk, SECRET)
                ).status_code
            )
        codes.append(httpx.post(receiver.webhook_url, content=bodies[0]).status_code)
        # The first scrape: the database's gauges are read now (then kept for 5 s).
        page = httpx.get(f"{receiver.base_url}/metrics", timeout=30)
    after = parse(page.text)
    with Engine.open(url) as engine, engine.db.connect() as connection:
        waiting = store.backlog(connection).inbox["received"]

    assert codes == [202] * 5 + [400, 400, 401]
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    assert set(webhooks(after)) >= {"408 timeout", "413 too_large", "503 storage"}
    assert {k: v for k, v in webhooks(after).items() if v} == {
        "202 stored": 3,
        "202 duplicate": 2,
        "400 payload": 2,
        "401 signature": 1,
    }
    orders = by_label(after, "orderfsm_orders", "state")
    assert {state: int(n) for state, n in orders.items() if n} == dict(states)
    assert value(after, "orderfsm_inbox_entries", status="received") == waiting == 3
    assert value(after, "orderfsm_database_up") == 1


def test_metrics_need_the_basic_credentials_when_the_receiver_has_them(tmp_path: Path) -> None:
    env = {ENV_SECRETS: SECRET, ENV_BASIC_AUTH_PASSWORD: PASSWORD}
    with running_receiver(fresh_db(tmp_path), "--basic-auth-user", "dr", env=env) as receiver:
        metrics = f"{receiver.base_url}/metrics"
        anonymous = httpx.get(metrics, timeout=30)
        wrong = httpx.get(metrics, headers=basic("dr", "nope"), timeout=30)
        right = httpx.get(metrics, headers=basic("dr", PASSWORD), timeout=30)

    assert (anonymous.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert "orderfsm_" not in anonymous.text + wrong.text
    assert value(parse(right.text), WEBHOOKS, code="202", answer="stored") == 0


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_log_lines_are_timestamped_in_utc_and_never_show_a_secret_or_password(
    pg_schema_url: str, log_format: str
) -> None:
    given = make_url(pg_schema_url)
    url = given.set(password=given.password or DB_PASSWORD).render_as_string(hide_password=False)
    secret_in_url = str(given.password or DB_PASSWORD)
    Engine.open(url, create_if_empty=True).close()
    body = EVENTS[0].read_bytes()
    env = {ENV_SECRETS: SECRET, ENV_BASIC_AUTH_PASSWORD: PASSWORD}
    args = ("--basic-auth-user", "dr", "--log-format", log_format, "--log-level", "debug")
    with running_receiver(url, *args, env=env) as receiver:
        auth = basic("dr", PASSWORD)
        for headers in (
            {},
            signed_headers(body, SECRET) | auth,
            signed_headers(body, SECRET) | auth,
        ):
            httpx.post(receiver.webhook_url, content=body, headers=headers, timeout=30)
        httpx.get(f"{receiver.base_url}/metrics", headers=auth, timeout=30)
    printed = receiver.printed()
    lines = [line for line in printed.splitlines() if line.strip()]

    for secret in (SECRET, PASSWORD, secret_in_url):
        assert secret not in printed
    if log_format == "json":
        records = [json.loads(line) for line in lines]  # every line, uvicorn's included
        assert all(r["time"].endswith("Z") and "T" in r["time"] for r in records)
        assert {r.get("kind") for r in records} >= {"serve.started"}
        assert {r.get("logger") for r in records} >= {"uvicorn.error", "uvicorn.access"}
        mine = [r["message"] for r in records if r.get("logger") == "orderfsm.adapters.http.app"]
        # One line per delivery: the unsigned one refused, then stored, then a duplicate.
        assert mine[0] == "delivery refused: signature check failed: missing header"
        assert [m.rsplit(": ", 1)[-1] for m in mine[1:]] == ["stored", "duplicate"]
        assert all(m.startswith("event ") and "(order.accepted, order " in m for m in mine[1:])
    else:
        refused = [line for line in lines if "delivery refused" in line]
        assert len(refused) == 1
        stamp, level, message = refused[0].split(None, 2)
        assert stamp.endswith("Z") and datetime.fromisoformat(stamp) <= datetime.now(UTC)
        assert (level.rstrip(":"), message) == (
            "INFO",
            "delivery refused: signature check failed: missing header",
        )
