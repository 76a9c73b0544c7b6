"""The console's pages in a real headless Chromium, against ``orderfsm console`` in a subprocess.

The database is made as production makes it (inbox, inbox worker, a real
dispatcher: tests/e2e/console_support.py). Screenshots of the main pages,
laptop and phone, are written under the test's tmp directory (the path is
printed; ``-s`` shows it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import create_engine, text

from tests.e2e.browser import (
    PHONE,
    chromium,
    click_and_wait_for_the_next_page,
    screenshot,
    submit_and_wait_for_the_next_page,
)
from tests.e2e.console_support import HOSTILE_NAME, USER, Seeded, auth_header, running_console, seed
from tests.e2e.http_receiver import Receiver

pytestmark = pytest.mark.requires_browser


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded, Receiver]]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'shop.db'}"
    seeded = seed(db_url)
    with running_console(db_url) as console:
        yield db_url, seeded, console


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium(auth_header()) as driver:
        yield driver


def _find(browser: WebDriver, base_url: str, ref: str) -> None:
    browser.get(f"{base_url}/")
    box = browser.find_element(By.CSS_SELECTOR, "header form.search input[name=q]")
    box.send_keys(ref)
    submit_and_wait_for_the_next_page(browser, box)


@pytest.mark.parametrize("which", ["upstream_id", "dr_order_id", "checkout_id"])
def test_search_finds_the_order_by_each_of_its_ids(
    bed: tuple[str, Seeded, Receiver], browser: WebDriver, which: str
) -> None:
    _, seeded, console = bed
    _find(browser, console.base_url, getattr(seeded, which))
    assert browser.current_url.endswith(f"/orders/{seeded.upstream_id}")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith(seeded.upstream_id)
    facts = browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert seeded.dr_order_id in facts and seeded.checkout_id in facts


def test_search_for_an_unknown_id_says_no_order_matches(
    bed: tuple[str, Seeded, Receiver], browser: WebDriver
) -> None:
    _, _, console = bed
    _find(browser, console.base_url, "SHOP-NOPE")
    assert "No orders match." in browser.find_element(By.TAG_NAME, "main").text


def test_order_page_shows_the_timeline_in_order_and_the_path(
    bed: tuple[str, Seeded, Receiver], browser: WebDriver
) -> None:
    _, seeded, console = bed
    browser.get(f"{console.base_url}/orders/{seeded.upstream_id}")
    rows = browser.find_elements(By.CSS_SELECTOR, "#timeline tbody tr:not(.operator)")
    numbers = [row.find_element(By.CSS_SELECTOR, "td[data-label='#']").text for row in rows]
    signals = [row.find_element(By.CSS_SELECTOR, "td[data-label=signal] b").text for row in rows]
    recorded = [row.find_element(By.CSS_SELECTOR, "td[data-label=recorded]").text for row in rows]
    assert numbers == [str(n) for n in range(1, len(seeded.event_types) + 1)]
    assert signals == [str(kind) for kind in seeded.event_types]
    assert recorded == sorted(recorded)
    path = browser.find_elements(By.CSS_SELECTOR, "#path li")
    assert [item.text for item in path] == [
        "created in submitted (submit)",
        "submitted → accepted by accept (order.accepted)",
        "accepted → fulfilled by fulfil (order.fulfilled)",
    ]
    assert "fulfilled" in browser.find_element(By.CSS_SELECTOR, "#path + p").text


@pytest.mark.requires_dot
def test_order_page_draws_the_path_as_inline_svg(
    bed: tuple[str, Seeded, Receiver], browser: WebDriver
) -> None:
    _, seeded, console = bed
    browser.get(f"{console.base_url}/orders/{seeded.upstream_id}")
    svg = browser.find_element(By.CSS_SELECTOR, ".diagram svg")
    assert "state:fulfilled" in svg.get_attribute("innerHTML")


def test_a_payload_item_named_script_renders_as_text_and_runs_nothing(
    bed: tuple[str, Seeded, Receiver], browser: WebDriver
) -> None:
    _, seeded, console = bed
    browser.get(f"{console.base_url}/orders/{seeded.upstream_id}")
    payloads = browser.find_elements(By.CSS_SELECTOR, "#timeline details")
    assert payloads, "the webhooks' raw payloads are on the page"
    for details in payloads:
        details.find_element(By.TAG_NAME, "summary").click()
    shown = "\n".join(d.find_element(By.TAG_NAME, "pre").text for d in payloads)
    assert HOSTILE_NAME in shown
    assert browser.execute_script("return document.querySelectorAll('script').length") == 0
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text


def test_a_dead_effect_retried_from_the_page_is_pending_and_the_history_says_who(
    bed: tuple[str, Seeded, Receiver], browser: WebDriver
) -> None:
    db_url, seeded, console = bed
    browser.get(f"{console.base_url}/orders/{seeded.upstream_id}")
    row = browser.find_element(By.CSS_SELECTOR, f"#effects tr[data-key='{seeded.dead_key}']")
    assert row.find_element(By.CSS_SELECTOR, ".status").text == "dead"
    click_and_wait_for_the_next_page(browser, row.find_element(By.CSS_SELECTOR, "button.retry"))

    assert browser.current_url.endswith(f"/orders/{seeded.upstream_id}")
    row = browser.find_element(By.CSS_SELECTOR, f"#effects tr[data-key='{seeded.dead_key}']")
    assert row.find_element(By.CSS_SELECTOR, ".status").text == "pending"
    action = browser.find_element(By.CSS_SELECTOR, "#timeline tr.operator")
    assert "retry_effect" in action.text and seeded.dead_key in action.text
    assert action.find_element(By.CSS_SELECTOR, ".actor").text == USER
    stored = create_engine(db_url)
    with stored.connect() as connection:
        status = connection.execute(
            text("SELECT status, attempts FROM outbox WHERE idempotency_key = :key"),
            {"key": seeded.dead_key},
        ).one()
        actions = connection.execute(
            text(
                "SELECT kind, target, actor, via FROM operator_actions WHERE kind = 'retry_effect'"
            )
        ).all()
    stored.dispose()
    assert tuple(status) == ("pending", 0)
    assert [tuple(a) for a in actions] == [("retry_effect", seeded.dead_key, USER, "console")]


def test_a_dead_inbox_entry_retried_from_the_inbox_page_is_back_in_line(
    bed: tuple[str, Seeded, Receiver], browser: WebDriver
) -> None:
    db_url, _, console = bed
    browser.get(f"{console.base_url}/inbox")
    dead = browser.find_element(By.CSS_SELECTOR, "#inbox-dead tr[data-event='evt-unreadable-1']")
    assert "not valid JSON" in dead.find_element(By.CSS_SELECTOR, "td.error").text
    click_and_wait_for_the_next_page(browser, dead.find_element(By.CSS_SELECTOR, "button.retry"))
    assert browser.current_url.endswith("/inbox")
    assert not browser.find_elements(By.CSS_SELECTOR, "#inbox-dead tr[data-event]")
    stored = create_engine(db_url)
    with stored.connect() as connection:
        status = connection.execute(
            text("SELECT status FROM inbox WHERE event_id = 'evt-unreadable-1'")
        ).scalar_one()
        actor = connection.execute(
            text("SELECT actor FROM operator_actions WHERE kind = 'retry_inbox_entry'")
        ).scalar_one()
    stored.dispose()
    assert (status, actor) == ("received", USER)


def test_screenshots_of_the_main_pages_laptop_and_phone(
    bed: tuple[str, Seeded, Receiver], browser: WebDriver, tmp_path: Path
) -> None:
    _, seeded, console = bed
    pages = {
        "orders": "/",
        "order": f"/orders/{seeded.upstream_id}",
        "lifecycle": "/lifecycle",
        "inbox": "/inbox",
        "effects": "/effects",
    }
    written = []
    for name, path in pages.items():
        browser.get(f"{console.base_url}{path}")
        assert browser.find_element(By.TAG_NAME, "h1").text
        written.append(screenshot(browser, tmp_path / f"console-{name}.png"))
        written.append(screenshot(browser, tmp_path / f"console-{name}-phone.png", PHONE))
    print(f"console screenshots: {tmp_path}")
    assert all(p.stat().st_size > 10_000 for p in written)
