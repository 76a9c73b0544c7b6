"""The console mounted in a host's app with an extra route; retries from the CLI record who.

In-process (httpx's ASGI transport) for the mount: the prefix must reach
every link and redirect, and the extra route sits behind the same gate.
The CLI retries run the real console script.
"""

from __future__ import annotations

import asyncio
import getpass
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

import orderfsm
from orderfsm.cli import console as console_cli
from orderfsm.console import ConsoleConfig, Credentials, console_app
from orderfsm.console import config as console_config
from orderfsm.errors import EffectNotFound
from orderfsm.persistence.database import utcnow
from orderfsm.persistence.operator_actions import ActionKind, ActionVia, Operator, retry_effect
from tests.e2e.console_support import PASSWORD, USER, auth_header, seed
from tests.support.cli import run_orderfsm


def _metrics(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("orders_total 2\n")


@pytest.fixture
def shop(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    seed(url)
    return url


def test_mounted_under_a_prefix_links_and_redirects_keep_it_and_extra_routes_are_gated(
    shop: str,
) -> None:
    with orderfsm.Engine.open(shop) as engine:
        console = console_app(
            ConsoleConfig(engine, Credentials(USER, PASSWORD)),
            extra_routes=[Route("/metrics", _metrics)],
        )
        host = Starlette(routes=[Mount("/ops", app=console)])
        page, found, metrics, refused = asyncio.run(_visit(host))
    assert page.status_code == 200
    links = set(re.findall(r'href="([^"]+)"', page.text))
    assert "http://127.0.0.1/ops/console.css" in links
    assert "http://127.0.0.1/ops/orders/SHOP-9001" in links
    assert found.status_code == 303
    assert found.headers["location"] == "http://127.0.0.1/ops/orders/SHOP-9001"
    assert (metrics.status_code, metrics.text) == (200, "orders_total 2\n")
    assert refused.status_code == 401


def test_a_retry_is_recorded_with_who_or_not_at_all(shop: str) -> None:
    key = "SHOP-9001:accepted:request_shipment"
    with orderfsm.Engine.open(shop) as engine:
        action = retry_effect(engine.db, key, Operator("bob", ActionVia.CONSOLE), now=utcnow())
        with pytest.raises(EffectNotFound, match="in status dead"):
            retry_effect(engine.db, key, Operator("bob", ActionVia.CONSOLE), now=utcnow())
    assert (action.kind, action.actor, action.upstream_id) == (
        ActionKind.RETRY_EFFECT,
        "bob",
        "SHOP-9001",
    )
    assert _actions(shop) == [("retry_effect", key, "bob", "console")]


def test_cli_retries_record_the_os_user(shop: str) -> None:
    key = "SHOP-9001:accepted:request_shipment"
    effect = run_orderfsm("effects", "retry", key, "--db", shop)
    entry = run_orderfsm("inbox", "retry", "evt-unreadable-1", "--db", shop)
    assert effect.returncode == 0, effect.stderr
    assert entry.returncode == 0, entry.stderr
    user = getpass.getuser()
    assert _actions(shop) == [
        ("retry_effect", key, user, "cli"),
        ("retry_inbox_entry", "evt-unreadable-1", user, "cli"),
    ]


def test_the_cli_constants_are_the_consoles() -> None:
    # Kept as constants in cli/console.py so that `orderfsm console --help` loads no Starlette.
    assert console_cli.ENV_PASSWORD == console_config.ENV_PASSWORD
    assert console_cli.ENV_USER == console_config.ENV_USER
    assert console_cli.DEFAULT_USER == console_config.DEFAULT_USER


async def _visit(host: Starlette) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=host, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return [
            await client.get("/ops/", headers=auth_header()),
            await client.get("/ops/?q=240000009001", headers=auth_header()),
            await client.get("/ops/metrics", headers=auth_header()),
            await client.get("/ops/metrics"),
        ]


def _actions(url: str) -> list[tuple[str, str, str, str]]:
    stored = create_engine(url)
    with stored.connect() as connection:
        rows = connection.execute(
            text("SELECT kind, target, actor, via FROM operator_actions ORDER BY id")
        ).all()
    stored.dispose()
    return [(r[0], r[1], r[2], r[3]) for r in rows]
