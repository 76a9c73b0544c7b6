"""A real headless Chromium for page tests, driven by Selenium through the system chromedriver.

The driver's path is given explicitly, so Selenium Manager never looks for
(or downloads) one. Every request the browser makes carries the console's
basic credentials (set through the DevTools protocol, as a header): forms,
redirects and the stylesheet alike.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

CHROMEDRIVER = "chromedriver"
CHROMIUM = "chromium"
LAPTOP = (1280, 900)
PHONE = (390, 844)
PAGE_LOAD_TIMEOUT_S = 60


@contextmanager
def chromium(headers: dict[str, str] | None = None) -> Iterator[webdriver.Chrome]:
    """A headless Chromium, closed at the end of the block."""
    driver_path = shutil.which(CHROMEDRIVER)
    browser_path = shutil.which(CHROMIUM)
    assert driver_path and browser_path, "the requires_browser gate checks both are on PATH"
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
        driver.set_window_size(*LAPTOP)
        if headers:
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": headers})
        yield driver
    finally:
        driver.quit()


def screenshot(driver: webdriver.Chrome, path: Path, size: tuple[int, int] = LAPTOP) -> Path:
    """The whole page (as tall as its content) as a PNG at ``path``."""
    width, height = size
    driver.set_window_size(width, height)
    full = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, max(height, min(full, 6000)))
    driver.save_screenshot(str(path))
    driver.set_window_size(*LAPTOP)
    return path


def click_and_wait_for_the_next_page(browser: WebDriver, button: WebElement) -> None:
    """Click a form's button and return once the page it leads to has loaded.

    A POST that redirects back to the same URL leaves ``current_url`` as it
    was, so the old page is marked (a flag on its ``window``, which a new
    document does not have) and the wait ends when a loaded page lacks it.
    Chromium may answer "node does not belong to the document" while it
    swaps documents: such answers are polled through, not failures.
    """
    _after_the_next_page(browser, button.click)


def submit_and_wait_for_the_next_page(browser: WebDriver, field: WebElement) -> None:
    """Submit the form of ``field`` (a GET search, say) and return once its answer has loaded."""
    _after_the_next_page(browser, field.submit)


def _after_the_next_page(browser: WebDriver, act: Callable[[], object]) -> None:
    browser.execute_script("window.orderfsmOldPage = true;")
    act()
    WebDriverWait(browser, PAGE_LOAD_TIMEOUT_S, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script(
            "return document.readyState === 'complete' && !window.orderfsmOldPage;"
        )
    )
