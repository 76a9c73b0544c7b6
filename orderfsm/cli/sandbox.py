"""``orderfsm sandbox``: a stateful local Digital River to submit to and get webhooks from."""

from __future__ import annotations

import sys

import click

DEFAULT_PORT = 8765


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port (0: any free one)."
)
@click.option("--key", default=None, metavar="KEY", help="Secret key to accept [sk_test_sandbox].")
@click.option("--webhook-url", default=None, metavar="URL", help="Where to POST signed webhooks.")
@click.option(
    "--webhook-secret", default=None, metavar="SECRET", help="Signing secret for the webhooks."
)
@click.option(
    "--faults",
    "spec",
    default="",
    metavar="SPEC",
    help="Faults to inject, comma separated: lose=N (POST done, answer lost), 429=N[@S] "
    "(Retry-After S), 5xx=N, outage=S (seconds of 503), drop=N, dup=N, reorder (webhooks).",
)
@click.option(
    "--scenario",
    default="accepted",
    show_default=True,
    metavar="NAME",
    help="What an unknown checkout does (a checkout id starting with NAME- picks NAME): "
    "accepted, pending_then_accepted, review_then_accepted, review_then_blocked, "
    "payment_failed, fraud_blocked, incomplete.",
)
def sandbox(
    host: str,
    port: int,
    key: str | None,
    webhook_url: str | None,
    webhook_secret: str | None,
    spec: str,
    scenario: str,
) -> None:
    """Serve a local, stateful Digital River: orders, events, fulfilments, webhooks.

    Prints its URL and the key to use. State lives in memory until the
    process ends. The control API under /_sandbox/ creates checkouts with a
    scenario, sets faults and shows requests and webhook deliveries.

    \b
    Example:
      orderfsm sandbox --port 8765 --webhook-url http://127.0.0.1:8080/webhooks/digitalriver \\
          --webhook-secret whsec_demo --faults lose=1,429=1@2
    """
    from orderfsm.errors import ConfigurationError
    from orderfsm.extras import SERVER, require

    require(SERVER, "orderfsm sandbox")
    from orderfsm.sandbox import DEFAULT_KEY, SandboxConfig, Scenario, create_sandbox, parse_faults
    from orderfsm.sandbox.server import bind, serve_forever

    try:
        chosen = Scenario(scenario)
    except ValueError:
        raise click.BadParameter(
            f"{scenario!r} is not one of {', '.join(s.value for s in Scenario)}",
            param_hint="--scenario",
        ) from None
    try:
        faults = parse_faults(spec)
    except ConfigurationError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from None
    key = key or DEFAULT_KEY
    config = SandboxConfig(
        secret_keys=(key,),
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        faults=faults,
        default_scenario=chosen,
    )
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    url = f"http://{host}:{sock.getsockname()[1]}"
    click.echo(f"DR sandbox on {url} (key {key})")
    click.echo(f"  export ORDERFSM_DR_API_URL={url} ORDERFSM_DR_API_KEY={key}", nl=True)
    if webhook_url:
        click.echo(f"  webhooks to {webhook_url}")
    sys.stdout.flush()
    serve_forever(create_sandbox(config), sock)
