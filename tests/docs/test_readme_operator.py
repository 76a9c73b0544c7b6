"""The README's operator handler, as written, gets a stuck order's notice to a chat webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from orderfsm import Engine
from orderfsm.persistence.database import utcnow
from orderfsm.service.overdue import notify_overdue
from orderfsm.service.stuck import stuck_orders
from tests.support.cli import run_orderfsm

from .test_readme import python_blocks


@contextmanager
def chat_webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local stand-in for Slack's incoming webhook: keeps each JSON body it is sent."""
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_the_operator_handler_posts_the_notice_of_a_stuck_order(tmp_path: Path) -> None:
    [handler] = [b for b in python_blocks() if "NOTIFY_OPERATOR_STUCK" in b]
    (tmp_path / "myshop_operator.py").write_text(handler)
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    later = utcnow() + timedelta(minutes=20)
    with Engine.open(db, create_if_empty=True) as engine:
        engine.submit("SHOP-1", "chk-1")
        notify_overdue(engine, stuck_orders(engine, clock=lambda: later))

    with chat_webhook() as (url, received):
        done = run_orderfsm(
            "worker",
            "--db",
            db,
            "--once",
            "--handlers",
            "myshop_operator:operator",
            cwd=tmp_path,
            env={"SLACK_WEBHOOK_URL": url},
        )

    assert done.returncode == 0, done.stderr
    assert "effects: 1 done" in done.stdout
    [message] = received
    assert message["text"].startswith("SHOP-1 waits in submitted since ")
    assert "min past its deadline: DR's answer to POST /orders" in message["text"]
    assert message["text"].endswith("Try: orderfsm refresh SHOP-1")
