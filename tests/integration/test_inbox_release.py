"""A stopping worker gives back the inbox entries it claimed and did not apply."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderfsm import Engine
from orderfsm.inbox import AppliedEntry, InboxPolicy, apply_inbox
from orderfsm.persistence import InboxStatus
from orderfsm.persistence import inbox as store
from tests.e2e.worker_support import shop_with_waiting_webhooks


def test_a_stop_mid_batch_releases_the_rest_untried(db_url: str) -> None:
    url = db_url
    shop_with_waiting_webhooks(url, 4)
    stop = threading.Event()
    seen: list[AppliedEntry] = []

    def stop_after_the_first(entry: AppliedEntry) -> None:
        seen.append(entry)
        stop.set()

    with Engine.open(url) as engine:
        report = apply_inbox(engine, stop=stop, observe=stop_after_the_first)
        rows = sorted(store.entries(engine.db), key=lambda e: e.id)

    assert (report.claimed, report.applied, report.released) == (4, 1, 3)
    assert [e.upstream_id for e in seen] == ["SHOP-1"]
    assert rows[0].status is InboxStatus.APPLIED
    # Due at once for any worker, with the attempt the claim counted given back.
    assert {(e.status, e.attempts, e.lease_until) for e in rows[1:]} == {
        (InboxStatus.RECEIVED, 0, None)
    }


def test_entries_whose_lease_ran_out_mid_batch_are_left_to_their_new_holder(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop_with_waiting_webhooks(url, 2)
    lease = timedelta(seconds=30)
    start = datetime.now(UTC)
    moments = iter([start, start + 2 * lease])  # the claim, then: the lease is over

    with Engine.open(url) as engine:
        report = apply_inbox(engine, InboxPolicy(lease=lease), clock=lambda: next(moments))
        newer = store.claim(engine.db, limit=10, lease=lease, now=start + 2 * lease)

    assert (report.claimed, report.applied, report.released) == (2, 0, 2)
    # The other worker claims both again (the released rows are due at once).
    assert len(newer) == 2


def test_a_release_leaves_alone_an_entry_claimed_again_since(db_url: str) -> None:
    url = db_url
    shop_with_waiting_webhooks(url, 1)
    now = datetime.now(UTC)
    lease = timedelta(seconds=1)

    with Engine.open(url) as engine:
        [old] = store.claim(engine.db, limit=1, lease=lease, now=now)
        [new] = store.claim(engine.db, limit=1, lease=lease, now=now + 2 * lease)
        released = store.release(engine.db, [old])
        [row] = store.entries(engine.db)

    assert released == 0
    assert (
        (row.attempts, row.lease_until) == (new.attempts, new.lease_until) == (2, new.lease_until)
    )
