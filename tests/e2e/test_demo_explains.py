"""The demo explains itself: right inbox counts, parked events, effects that did not fire."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ORDERFSM = str(Path(sys.executable).with_name("orderfsm"))


def test_the_demo_says_what_waited_what_did_not_fire_and_why(tmp_path: Path) -> None:
    done = subprocess.run(
        [ORDERFSM, "demo", "--out", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "400", "PATH": ""},
    )

    assert done.returncode == 0, done.stderr
    out = done.stdout
    # 34 stored, 34 applied while delivering (not "0 applied").
    assert "202 stored" in out and "inbox while delivering: 34 applied (" in out
    assert "inbox now: received 0, applied 34, dead 0" in out
    assert "parked: 3 event(s) arrived before their order was known; 0 still wait" in out
    assert (
        "order.pending_payment waited for DR order 240000000007 / checkout co-0007 (SHOP-0007)"
        in out
    )
    assert (
        "SHOP-0007 entered pending_payment: send_payment_instructions did not fire, its "
        "condition 'show_payment_instructions' did not hold" in out
    )
    assert "SHOP-0003 entered pending_payment: send_payment_instructions did not fire" not in out
    assert "not relevant: subscription.created" in out
