"""``orderfsm serve`` as an operator runs it: secrets kept quiet, basic auth, workers, health."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from orderfsm import Engine
from orderfsm.adapters.http.config import ENV_BASIC_AUTH_PASSWORD, ENV_DB, ENV_SECRETS
from orderfsm.persistence import inbox as store
from tests.e2e.http_receiver import running_receiver, running_server, signed_headers
from tests.support.cli import ORDERFSM
from tests.support.net import free_port

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

    # Anonymous: down, and nothing about why (no credentials are configured here).
    assert (health.status_code, health.json()) == (503, {"status": "unavailable"})
    assert delivery.status_code == 503
    assert json.loads(delivery.text)["error"] == "storage"
    assert "nobody" not in server.printed()


def test_health_shows_the_backlog_only_to_a_caller_with_the_basic_credentials(
    tmp_path: Path,
) -> None:
    url = fresh_db(tmp_path)
    env = {ENV_SECRETS: SECRET, ENV_BASIC_AUTH_PASSWORD: PASSWORD}
    with running_receiver(url, "--basic-auth-user", "dr", env=env) as receiver:
        health = f"{receiver.base_url}/healthz"
        anonymous = httpx.get(health, timeout=30)
        wrong = httpx.get(health, headers=basic("dr", "wrong"), timeout=30)
        operator = httpx.get(health, headers=basic("dr", PASSWORD), timeout=30)

    assert (anonymous.status_code, anonymous.json()) == (200, {"status": "ok"})
    assert wrong.json() == {"status": "ok"}
    detail = operator.json()
    assert (detail["status"], detail["database"]) == ("ok", "reachable")
    with Engine.open(url) as engine, engine.db.connect() as connection:
        counts = store.backlog(connection)
    assert (detail["inbox"], detail["outbox"]) == (counts.inbox, counts.outbox)
    assert set(detail["inbox"]) == {"received", "applied", "dead"}


def test_secrets_from_a_file_newest_first_and_a_password_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secrets"
    secret_file.write_text(f"{SECRET}\n\n{OLD_SECRET}\n")
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    body = EVENT.read_bytes()
    args = ("--secret-file", str(secret_file), "--basic-auth-user", "dr")
    args += ("--basic-auth-password-file", str(password_file))
    with running_receiver(fresh_db(tmp_path), *args, env={ENV_SECRETS: ""}) as receiver:
        answers = [
            httpx.post(
                receiver.webhook_url,
                content=body,
                headers={**signed_headers(body, secret), **basic("dr", PASSWORD)},
                timeout=30,
            )
            for secret in (OLD_SECRET, SECRET, "whsec_not_in_the_file")
        ]
    printed = receiver.printed()

    assert [a.status_code for a in answers] == [202, 202, 401]
    assert "2 signing secret(s)" in printed and "warning" not in printed
    assert all(secret not in printed for secret in (SECRET, OLD_SECRET, PASSWORD))


def test_a_secret_on_the_command_line_works_but_is_warned_against(tmp_path: Path) -> None:
    body = EVENT.read_bytes()
    with running_receiver(fresh_db(tmp_path), "--secret", SECRET, env={ENV_SECRETS: ""}) as rx:
        answer = httpx.post(rx.webhook_url, content=body, headers=signed_headers(body, SECRET))

    assert answer.status_code == 202
    assert "warning: --secret on the command line is visible to every local user" in rx.printed()
    assert SECRET not in rx.printed()


def test_serve_help_warns_that_argv_secrets_are_visible_in_ps() -> None:
    shown = subprocess.run(
        [ORDERFSM, "serve", "--help"], capture_output=True, text=True, check=True
    ).stdout

    assert "--secret-file" in shown and "--basic-auth-password-file" in shown
    assert shown.count("visible to every local user") >= 2


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("  \n\n", (), "no secret in it"),
        (None, (), "cannot read"),
        (SECRET, ("--secret", SECRET), "one way"),
    ],
)
def test_serve_refuses_secrets_it_cannot_use_in_one_line_without_echoing_them(
    tmp_path: Path, content: str | None, args: tuple[str, ...], message: str
) -> None:
    secret_file = tmp_path / "secrets"
    if content is not None:
        secret_file.write_text(content)
    argv = [ORDERFSM, "serve", "--db", fresh_db(tmp_path), "--secret-file", str(secret_file)]
    done = subprocess.run(
        [*argv, *args], capture_output=True, text=True, env={**os.environ, ENV_SECRETS: ""}
    )

    assert done.returncode == 2
    assert message in done.stderr
    assert SECRET not in done.stderr


def test_each_worker_process_leaves_its_startup_heap_out_of_garbage_collection(
    tmp_path: Path,
) -> None:
    # What uvicorn calls in each worker of --workers N, in a process of its own.
    script = (
        "import gc; from orderfsm.adapters.http import app_from_env\n"
        "before = gc.get_freeze_count(); app_from_env()\n"
        "print(before, gc.get_freeze_count())\n"
    )
    env = {**os.environ, ENV_DB: fresh_db(tmp_path), ENV_SECRETS: SECRET}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    before, after = (int(n) for n in done.stdout.split())
    assert before == 0
    assert after > 10_000  # SQLAlchemy, pydantic, starlette...: the startup heap
