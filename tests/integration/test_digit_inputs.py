"""Numbers typed or sent as text: only ASCII digits count as a number.

``str.isdigit()`` is true for ``"²"`` (and other superscripts), which ``int()``
refuses: every place that checked ``isdigit()`` before ``int()`` answered such
an input with a traceback or a 500. Each is now the answer it gives any other
non-number, checked beside a real number so the test also fails if the input
were refused for another reason.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from orderfsm import Engine
from orderfsm.adapters.digitalriver.api_answers import DEFAULT_RETRY_AFTER_S, retry_after_s
from orderfsm.adapters.http.envelope import read_limited
from orderfsm.console import ConsoleConfig, Credentials, console_app
from orderfsm.sandbox import create_sandbox
from orderfsm.sandbox.config import DEFAULT_KEY
from tests.e2e.console_support import PASSWORD, USER, auth_header, seed
from tests.support.cli import run_orderfsm

SUPERSCRIPT_TWO = "\u00b2"


def test_a_superscript_retry_after_waits_the_default_not_a_crash() -> None:
    def wait(value: str) -> float:
        # On the wire a header is bytes; httpx reads a non-UTF-8 byte as latin-1.
        header = value.encode("latin-1")
        return retry_after_s(httpx.Response(429, headers={"Retry-After": header}), 60.0)

    assert wait("3") == 3.0
    assert wait(SUPERSCRIPT_TWO) == DEFAULT_RETRY_AFTER_S


def test_a_superscript_content_length_is_ignored_and_the_stream_still_counted() -> None:
    async def chunks() -> object:
        yield b"x" * 10

    async def read(declared: str, limit: int) -> bytes:
        return await read_limited(chunks(), limit=limit, declared_length=declared)  # type: ignore[arg-type]

    assert asyncio.run(read(SUPERSCRIPT_TWO, 100)) == b"x" * 10
    assert asyncio.run(read("10", 100)) == b"x" * 10


def test_the_sandbox_answers_a_superscript_limit_with_dr_s_400() -> None:
    async def get(limit: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=create_sandbox())
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            return await client.get(
                "/orders",
                params={"limit": limit},
                headers={"Authorization": f"Bearer {DEFAULT_KEY}"},
            )

    assert asyncio.run(get("5")).status_code == 200
    refused = asyncio.run(get(SUPERSCRIPT_TWO))
    assert refused.status_code == 400
    assert "limit must be between" in refused.text


def test_the_console_answers_a_superscript_page_cursor_with_400(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    seed(url)

    async def get(after: str) -> httpx.Response:
        with Engine.open(url) as engine:
            app = console_app(ConsoleConfig(engine, Credentials(USER, PASSWORD)))
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                return await client.get("/", params={"after": after}, headers=auth_header())

    assert asyncio.run(get("1")).status_code == 200
    refused = asyncio.run(get(SUPERSCRIPT_TWO))
    assert (refused.status_code, refused.text) == (400, f"not a page cursor: {SUPERSCRIPT_TWO!r}")


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (
            ["fulfil", "SHOP-1", f"it={SUPERSCRIPT_TWO}"],
            2,
            "expected ITEM_ID=QTY with a quantity of at least 1",
        ),
        (
            ["inbox", "retry", SUPERSCRIPT_TWO],
            1,
            f"error: no inbox entry with id or event id {SUPERSCRIPT_TWO!r}",
        ),
    ],
)
def test_a_superscript_number_on_the_command_line_is_one_clear_line(
    sqlite_url: str, args: list[str], code: int, says: str
) -> None:
    # A current, empty database: the commands must get as far as reading the number.
    assert run_orderfsm("db", "upgrade", "--db", sqlite_url).returncode == 0
    done = run_orderfsm(*args, "--db", sqlite_url)

    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    assert says in done.stderr.strip().splitlines()[-1]
