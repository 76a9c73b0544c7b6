"""Who gets into ``orderfsm console`` (a real subprocess): credentials, CSRF, loopback, argv.

Every page and action is tried without credentials, with wrong ones, and
with a bearer token; a POST with good credentials but no (or another
user's) CSRF token is refused and changes nothing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.console_support import (
    DECLINE_CODE,
    DECLINE_MESSAGE,
    PASSWORD,
    USER,
    Seeded,
    auth_header,
    running_console,
    seed,
)
from tests.e2e.http_receiver import Receiver
from tests.support.cli import run_orderfsm

PAGES = ("/", "/orders/SHOP-9001", "/lifecycle", "/inbox", "/effects", "/console.css", "/?q=x")


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded, Receiver]]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('console-access') / 'shop.db'}"
    seeded = seed(db_url)
    with running_console(db_url) as console:
        yield db_url, seeded, console


def _status_of(db_url: str, key: str) -> str:
    stored = create_engine(db_url)
    with stored.connect() as connection:
        status: str = connection.execute(
            text("SELECT status FROM outbox WHERE idempotency_key = :key"), {"key": key}
        ).scalar_one()
    stored.dispose()
    return status


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth_header(password="wrong"),
        auth_header(user="mallory"),
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic !!!not-base64"},
    ],
    ids=["none", "wrong-password", "wrong-user", "wrong-token", "garbled"],
)
def test_no_page_or_action_answers_without_the_credentials(
    bed: tuple[str, Seeded, Receiver], headers: dict[str, str]
) -> None:
    db_url, seeded, console = bed
    for page in PAGES:
        answer = httpx.get(f"{console.base_url}{page}", headers=headers, timeout=30)
        assert answer.status_code == 401, page
        assert answer.headers["www-authenticate"].startswith("Basic")
        assert seeded.upstream_id not in answer.text
    for action, form in (
        ("/effects/retry", {"key": seeded.dead_key}),
        ("/inbox/retry", {"entry_id": "4"}),
    ):
        answer = httpx.post(f"{console.base_url}{action}", data=form, headers=headers, timeout=30)
        assert answer.status_code == 401, action
    assert _status_of(db_url, seeded.dead_key) == "dead"


def test_every_page_answers_with_basic_credentials_or_the_token(
    bed: tuple[str, Seeded, Receiver],
) -> None:
    _, _, console = bed
    for headers in (auth_header(), {"Authorization": f"Bearer {PASSWORD}"}):
        for page in PAGES:
            answer = httpx.get(f"{console.base_url}{page}", headers=headers, timeout=30)
            assert answer.status_code == 200, page


@pytest.mark.parametrize("token", [None, "", "0" * 64], ids=["missing", "empty", "forged"])
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    bed: tuple[str, Seeded, Receiver], token: str | None
) -> None:
    db_url, seeded, console = bed
    form = {"key": seeded.dead_key} | ({} if token is None else {"csrf_token": token})
    answer = httpx.post(
        f"{console.base_url}/effects/retry", data=form, headers=auth_header(), timeout=30
    )
    assert answer.status_code == 403
    assert "CSRF" in answer.text
    assert _status_of(db_url, seeded.dead_key) == "dead"


def test_the_console_refuses_to_start_on_a_public_host_without_a_password(tmp_path: Path) -> None:
    result = run_orderfsm(
        "console",
        "--db",
        f"sqlite:///{tmp_path / 'shop.db'}",
        "--host",
        "0.0.0.0",
        "--port",
        "0",
        env={"ORDERFSM_CONSOLE_PASSWORD": ""},
        timeout=60,
    )
    assert result.returncode == 2
    assert "--host 0.0.0.0 is not loopback: set ORDERFSM_CONSOLE_PASSWORD" in result.stderr
    assert "Uvicorn running" not in result.stderr + result.stdout
    assert not (tmp_path / "shop.db").exists()


def test_without_a_password_loopback_answers_but_not_a_foreign_host_name(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'shop.db'}"
    seed(db_url)
    with running_console(db_url, password=None) as console:
        port = console.base_url.rsplit(":", 1)[1]
        local = httpx.get(f"{console.base_url}/", timeout=30)
        # A page elsewhere reaching 127.0.0.1 by rebinding its DNS name sends its own Host.
        rebound = httpx.get(
            f"{console.base_url}/", headers={"Host": f"evil.example:{port}"}, timeout=30
        )
    assert local.status_code == 200 and "SHOP-9001" in local.text
    assert rebound.status_code == 403 and "SHOP-9001" not in rebound.text
    assert "loopback only, no password" in console.printed()


def test_the_password_is_never_printed(bed: tuple[str, Seeded, Receiver]) -> None:
    _, _, console = bed
    httpx.get(f"{console.base_url}/", headers=auth_header(), timeout=30)
    assert PASSWORD not in console.printed()
    assert f"basic auth as {USER}" in console.printed()


def test_dr_codes_are_shown_to_the_operator_labelled_beside_what_the_customer_reads(
    bed: tuple[str, Seeded, Receiver],
) -> None:
    _, _, console = bed
    page = httpx.get(f"{console.base_url}/orders/SHOP-9002", headers=auth_header(), timeout=30)
    assert page.status_code == 200
    section = page.text.split('<section class="internal">', 1)[1].split("</section>", 1)[0]
    assert "operator only: DR marks them not for customers" in section
    assert f"charge ch-declined: <code>{DECLINE_CODE}</code>" in section
    assert f"the customer is told: “{DECLINE_MESSAGE}”" in section


def test_the_lifecycle_page_counts_orders_per_state_and_edges_taken_today(
    bed: tuple[str, Seeded, Receiver],
) -> None:
    _, _, console = bed
    page = httpx.get(f"{console.base_url}/lifecycle", headers=auth_header(), timeout=30)
    assert page.status_code == 200
    counts = page.text.split('id="state-counts"', 1)[1].split("</table>", 1)[0]
    edges = page.text.split('id="edges-taken"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", edges)
    rows = sorted(tuple(cells[i : i + 4]) for i in range(0, len(cells), 4))
    assert rows == [
        ("accepted", "fulfil", "fulfilled", "1"),
        ("submitted", "accept", "accepted", "1"),
    ]
    assert re.search(r"state-submitted\">submitted</span></a></td><td[^>]*>1<", counts)
    assert re.search(r"state-fulfilled\">fulfilled</span></a></td><td[^>]*>1<", counts)
    if shutil.which("dot"):
        assert "fulfilled (1)" in page.text and "accept x1" in page.text
