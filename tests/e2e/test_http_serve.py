"""``orderfsm serve`` as an operator runs it: secrets kept quiet, basic auth, workers, health."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import httpx

from orderfsm import Engine
from orderfsm.adapters.http.config import ENV_DB, ENV_SECRETS
from tests.e2e.http_receiver import free_port, running_receiver, running_server, signed_headers

SECRET = "whsec_do_not_print_7f3a9c"
OLD_SECRET = "whsec_previous_do_not_print_41b2"
PASSWORD = "basic-pass-do-not-print-92e1"
EVENT = Path(__file__).parents[1] / "fixtures" / "dr" / "events" / "order.accepted__1.json"


def fresh_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    Engine.open(url, create_if_empty=True).close()
    return url


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


def test_the_secrets_and_the_basic_password_appear_nowhere_in_what_serve_prints(
    tmp_path: Path,
) -> None:
    body = EVENT.read_bytes()
    env = {ENV_SECRETS: f"{SECRET}, {OLD_SECRET}"}
    args = ("--basic-auth-user", "dr", "--basic-auth-password", PASSWORD, "--log-level", "debug")
    with running_receiver(fresh_db(tmp_path), *args, env=env) as receiver:
        answers = [
            httpx.post(receiver.webhook_url, content=body, headers=headers, timeout=30)
            for headers in (
                {},
                {"DigitalRiver-Signature": f"1700000000, {SECRET}"},
                signed_headers(body, "whsec_wrong"),
                signed_headers(body, SECRET),
                {**signed_headers(body, OLD_SECRET), **basic("dr", "wrong")},
                {**signed_headers(body, OLD_SECRET), **basic("dr", PASSWORD)},
                {**signed_headers(b"{oops", SECRET), **basic("dr", PASSWORD)},
            )
        ]
    printed = receiver.printed()

    assert [a.status_code for a in answers] == [401, 401, 401, 401, 401, 202, 401]
    assert "Uvicorn running on" in printed and "signature check failed" in printed
    for secret in (SECRET, OLD_SECRET, PASSWORD):
        assert secret not in printed
        assert all(secret not in a.text for a in answers)


def test_basic_auth_is_checked_after_the_signature_when_configured(tmp_path: Path) -> None:
    body = EVENT.read_bytes()
    args = ("--secret", SECRET, "--basic-auth-user", "dr", "--basic-auth-password", PASSWORD)
    with running_receiver(fresh_db(tmp_path), *args) as receiver:
        missing = httpx.post(
            receiver.webhook_url, content=body, headers=signed_headers(body, SECRET)
        )
        right = httpx.post(
            receiver.webhook_url,
            content=body,
            headers={**signed_headers(body, SECRET), **basic("dr", PASSWORD)},
        )

    assert missing.status_code == 401
    assert missing.json()["error"] == "authentication"
    assert missing.headers["www-authenticate"].startswith("Basic")
    assert (right.status_code, right.json()["status"]) == (202, "stored")


def test_several_workers_each_build_the_receiver_from_the_environment_serve_set(
    tmp_path: Path,
) -> None:
    url = fresh_db(tmp_path)
    body = EVENT.read_bytes()
    workers = running_receiver(url, "--workers", "2", env={ENV_SECRETS: SECRET}, port=free_port())
    with workers as receiver:
        answers = [
            httpx.post(receiver.webhook_url, content=body, headers=signed_headers(body, SECRET))
            for _ in range(4)
        ]
        refused = httpx.post(receiver.webhook_url, content=body)

    assert [a.json()["status"] for a in answers] == ["stored"] + ["duplicate"] * 3
    assert refused.status_code == 401
    assert receiver.printed().count("Started server process") == 2


def test_health_answers_503_when_the_database_cannot_be_reached() -> None:
    argv = [sys.executable, "-m", "uvicorn", "orderfsm.adapters.http:app_from_env", "--factory"]
    argv += ["--host", "127.0.0.1", "--port", "0"]
    env = {ENV_DB: "postgresql+psycopg://nobody@127.0.0.1:9/none", ENV_SECRETS: SECRET}
    with running_server(argv, env=env) as server:
        health = httpx.get(f"{server.base_url}/healthz", timeout=60)
        body = EVENT.read_bytes()
        delivery = httpx.post(
            f"{server.base_url}/webhooks/digitalriver",
            content=body,
            headers=signed_headers(body, SECRET),
            timeout=60,
        )

    assert (health.status_code, health.json()) == (
        503,
        {"status": "unavailable", "database": "unreachable"},
    )
    assert delivery.status_code == 503
    assert json.loads(delivery.text)["error"] == "storage"
    assert "nobody" not in server.printed()
