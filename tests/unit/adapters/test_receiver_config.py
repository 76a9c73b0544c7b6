"""The receiver's configuration refuses what it could not work with, without showing secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderfsm.adapters.http import BasicAuth, ReceiverConfig
from orderfsm.adapters.http.config import read_password_file, read_secret_file
from orderfsm.errors import ConfigurationError

DB = "sqlite:///shop.db"


@pytest.mark.parametrize("secrets", [(), ("",), (" ",), ("whsec_ok", "\t\n")])
def test_blank_signing_secrets_are_refused(secrets: tuple[str, ...]) -> None:
    with pytest.raises(ConfigurationError, match="none of them blank"):
        ReceiverConfig(DB, secrets=secrets)


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan")])
def test_a_body_timeout_that_is_not_positive_is_refused(seconds: float) -> None:
    with pytest.raises(ConfigurationError, match="body_timeout"):
        ReceiverConfig(DB, secrets=("whsec_ok",), body_timeout=seconds)


@pytest.mark.parametrize(("user", "password"), [("dr", " "), (" ", "pw"), ("d:r", "pw")])
def test_basic_credentials_that_cannot_work_are_refused(user: str, password: str) -> None:
    with pytest.raises(ConfigurationError, match="basic auth"):
        BasicAuth(user, password)


def test_the_env_form_carries_the_body_timeout_to_the_workers() -> None:
    config = ReceiverConfig(DB, secrets=("whsec_new", "whsec_old"), body_timeout=2.5)

    assert ReceiverConfig.from_env(config.to_env()) == config


def test_a_secret_file_gives_its_lines_in_order_and_an_error_never_quotes_it(
    tmp_path: Path,
) -> None:
    good = tmp_path / "secrets"
    good.write_text(" whsec_new \n\nwhsec_old\n")
    blank = tmp_path / "blank"
    blank.write_text("\n   \n")

    assert read_secret_file(good) == ("whsec_new", "whsec_old")
    with pytest.raises(ConfigurationError, match="no secret in it"):
        read_secret_file(blank)
    with pytest.raises(ConfigurationError, match="cannot read"):
        read_secret_file(tmp_path / "missing")


def test_a_password_file_gives_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "password"
    path.write_text("s3cret-pw\nignored\n")

    assert read_password_file(path) == "s3cret-pw"
