"""A 202 from group commit is a stored event: SIGKILL ``orderfsm serve`` mid-burst and look.

Fifty concurrent senders, each on its own keep-alive connection, post
distinct signed events; once some hundreds were answered the server is
killed with SIGKILL (no shutdown, no flush). Every event id answered 202 must
be in the inbox afterwards; the ones cut off may or may not be (DR would
deliver those again).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx

from orderfsm import Engine
from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign
from orderfsm.adapters.http.config import ENV_SECRETS
from orderfsm.persistence import inbox as store
from tests.e2e.http_receiver import Receiver, running_receiver

SECRET = "whsec_group_commit"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "dr" / "events" / "order.accepted__1.json"
EVENT = json.loads(FIXTURE.read_text())
SENDERS = 50
EVENTS = 3_000
KILL_AFTER = 300
"""202s received before the SIGKILL."""


def _request(url: httpx.URL, event_id: str) -> bytes:
    body = json.dumps({**EVENT, "id": event_id}).encode()
    head = (
        f"POST {url.raw_path.decode()} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
        f"{SIGNATURE_HEADER}: {sign(body, SECRET, int(time.time()))}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _burst(receiver: Receiver) -> tuple[set[str], int]:
    """Send until killed; the ids answered 202, and how many requests got no answer."""
    url = httpx.URL(receiver.webhook_url)
    pending = [f"evt-burst-{n}" for n in range(EVENTS)]
    accepted: set[str] = set()
    unanswered = 0

    async def sender() -> None:
        nonlocal unanswered
        reader, writer = await asyncio.open_connection(url.host, url.port)
        try:
            while pending:
                event_id = pending.pop()
                writer.write(_request(url, event_id))
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    unanswered += 1
                    return
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                try:
                    await reader.readexactly(length)
                except (asyncio.IncompleteReadError, ConnectionError):
                    # Killed between the head and the body: a 202 head was sent after its commit.
                    if head.startswith(b"HTTP/1.1 202"):
                        accepted.add(event_id)
                    unanswered += 1
                    return
                if head.startswith(b"HTTP/1.1 202"):
                    accepted.add(event_id)
                    if len(accepted) == KILL_AFTER:
                        receiver.process.send_signal(signal.SIGKILL)
        finally:
            writer.close()

    await asyncio.wait_for(asyncio.gather(*(sender() for _ in range(SENDERS))), timeout=120)
    return accepted, unanswered


def test_every_event_answered_202_is_in_the_inbox_after_a_sigkill_mid_burst(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'shop.db'}"
    Engine.open(db_url, create_if_empty=True).close()
    with running_receiver(db_url, env={ENV_SECRETS: SECRET}) as receiver:
        accepted, unanswered = asyncio.run(_burst(receiver))
        receiver.process.wait(30)

    with Engine.open(db_url) as engine:
        stored = {entry.event_id for entry in store.entries(engine.db, limit=EVENTS)}

    assert receiver.process.returncode == -signal.SIGKILL
    assert len(accepted) >= KILL_AFTER
    assert unanswered > 0, "the kill found no request in flight"
    assert accepted <= stored, f"answered 202 but lost: {sorted(accepted - stored)[:5]}"
