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
    help="Folder for the demo's database, effects, DR's fulfilments and diagrams (recreated).",
)
def demo(out_dir: Path) -> None:
    """Run the whole loop on this machine against a local DR: orders, webhooks, fulfilments.

    Starts the sandbox DR and the webhook receiver on free 127.0.0.1 ports,
    submits nine orders over HTTP (one answer lost and found again, one 429
    waited out), lets the sandbox sign and POST its webhooks (one twice), runs
    the worker, which reports fulfilments to DR with POST /fulfillments, stops
    the receiver long enough for DR to give up on some webhooks, repairs that
    with reconcile from GET /events, then prints the orders and effects, checks
    them against what DR holds and draws the diagrams.

    \b
    Example:
      orderfsm demo --out /tmp/orderfsm-demo
    """
    import time

    began = time.monotonic()  # before the heavy imports: the time printed is what a user waits
    from orderfsm.extras import SERVER, require

    require(SERVER, "orderfsm demo")
    # Imported here: `orderfsm demo --help` needs none of the receiver's or engine's stack.
    from orderfsm.cli.demo_flow import run_demo

    run_demo(out_dir, began)
