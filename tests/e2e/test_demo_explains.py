"""The demo explains itself: what DR answered, what DR gave up on, what reconcile repaired."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ORDERFSM = str(Path(sys.executable).with_name("orderfsm"))


def test_the_demo_says_what_dr_answered_gave_up_on_and_what_reconcile_repaired(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [ORDERFSM, "demo", "--out", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "400", "PATH": ""},
    )

    assert done.returncode == 0, done.stderr
    out = done.stdout
    rows: dict[str, str] = {}  # the first table's row of each order: what DR answered
    for line in out.splitlines():
        if re.match(r"\W+SHOP-\d{4} ", line):
            rows.setdefault(line.split()[1], line)
    assert "201 found by GET" in rows["SHOP-0006"] and "accepted" in rows["SHOP-0006"]
    assert "201, 2 POSTs" in rows["SHOP-0007"]
    assert "409" in rows["SHOP-0005"] and "rejected" in rows["SHOP-0005"]
    assert "duplicate webhook: one order.accepted came 2 times; the inbox kept it once" in out
    outage = re.search(
        r"receiver down: (\d+) webhooks DR gave up on; reconcile fetched (\d+), new (\d+), "
        r"applied (\d+)",
        out,
    )
    assert outage is not None, out
    gave_up, fetched, new, applied = map(int, outage.groups())
    # SHOP-0001's second part and SHOP-0009: fulfillment.created, order.fulfilled,
    # the capture and order.complete for each.
    assert gave_up == new == 8 and applied == 8 and fetched > new
    assert "missed: 2 fulfillment.created, 2 order.charge.capture.complete" in out
    assert "fulfilments DR holds: 7 (18 units), the same as the shop reported" in out
    assert "inbox now: received 0," in out and "outbox now: pending 0," in out
    assert "conditional effects that did not fire: 0" in out
    assert re.search(r"demo took \d+\.\d s", out)
