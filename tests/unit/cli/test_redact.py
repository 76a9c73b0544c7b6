"""The one redaction every CLI error path uses: passwords out of URLs, parsable or not."""

from __future__ import annotations

import pytest

from orderfsm.cli.redact import redact, redact_url

SHAPES = [
    ("postgres:/shop:TopSecretPw@127.0.0.1/shop", "postgres:/shop:***@127.0.0.1/shop"),
    ("postgresql://shop:TopSecretPw@db:5432/shop", "postgresql://shop:***@db:5432/shop"),
    ("postgresql://shop:Top@Secret@db/shop", "postgresql://shop:***@db/shop"),
    ("postgresql://shop:a:b@db/shop", "postgresql://shop:***@db/shop"),
    ("shop:TopSecretPw@127.0.0.1/shop", "shop:***@127.0.0.1/shop"),
    ("postgresql://db/shop?password=TopSecretPw&x=1", "postgresql://db/shop?password=***&x=1"),
    ("postgresql://shop@db/shop", "postgresql://shop@db/shop"),
    ("sqlite:///shop.db", "sqlite:///shop.db"),
]


@pytest.mark.parametrize(("url", "hidden"), SHAPES)
def test_a_url_keeps_everything_but_its_password(url: str, hidden: str) -> None:
    assert redact_url(url) == hidden


@pytest.mark.parametrize(("url", "hidden"), SHAPES)
def test_a_url_quoted_inside_a_message_is_hidden_there_too(url: str, hidden: str) -> None:
    message = f"error: not a database URL: {url!r} (see --help)"

    assert redact(message) == f"error: not a database URL: {hidden!r} (see --help)"


def test_a_message_without_a_url_is_left_alone() -> None:
    text = "inbox entry 7 (event evt-[/x]-1) is dead: victim@example.com refused"

    assert redact(text) == text
