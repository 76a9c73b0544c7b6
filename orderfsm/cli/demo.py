"""``orderfsm demo``: the main job end to end, on SQLite, with a real receiver on localhost."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="demo-output",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo's database, journal, effects and diagrams (recreated).",
)
def demo(out_dir: Path) -> None:
    """Run the whole flow on this machine: receiver, signed webhooks, worker, effects.

    Starts the webhook receiver on a free 127.0.0.1 port, plays a realistic
    batch (accepted, reviewed then blocked, unpaid and cancelled, 409, 404,
    out-of-order, duplicate and early deliveries, plus a forged and a
    truncated one) over real HTTP, runs the worker with a JSON-lines effect
    sink, then prints the orders and effects and draws the diagrams.

    \b
    Example:
      orderfsm demo --out /tmp/orderfsm-demo
    """
    from orderfsm.extras import SERVER, require

    require(SERVER, "orderfsm demo")
    # Imported here: `orderfsm demo --help` needs none of the receiver's or engine's stack.
    from orderfsm.cli.demo_flow import run_demo

    run_demo(out_dir)
