"""Without the ``server`` extra: the engine embeds; commands that need it say what to install.

Each check runs in a fresh interpreter in which starlette, uvicorn, httptools
and uvloop cannot be imported (their ``sys.modules`` entries are ``None``, so
``import`` raises ``ImportError`` as if they were not installed).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SERVER_MODULES = ("starlette", "uvicorn", "httptools", "uvloop")
BLOCK = textwrap.dedent(
    f"""
    import sys
    for name in {SERVER_MODULES!r}:
        sys.modules[name] = None
    try:
        import starlette
    except ImportError:
        pass
    else:
        raise SystemExit("the blocker did not block starlette")
    """
)


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(f"from orderfsm.cli import main\nsys.argv = {['orderfsm', *args]!r}\nmain()", cwd)


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("serve", ["--db", "sqlite:///shop.db", "--secret", "whsec_x"]),
        ("demo", []),
        ("console", ["--db", "sqlite:///shop.db"]),
    ],
)
def test_a_command_that_needs_the_server_says_which_extra_to_install(
    tmp_path: Path, command: str, args: list[str]
) -> None:
    done = _cli(tmp_path, command, *args)

    assert done.returncode == 1
    assert done.stderr == (
        f"orderfsm {command} needs the server extra: pip install 'orderfsm[server]'\n"
    )
    assert not (tmp_path / "shop.db").exists(), "nothing is opened before the check"


def test_the_engine_applies_and_the_dispatcher_delivers_without_a_web_server(
    tmp_path: Path,
) -> None:
    done = _run(
        f"""
        from datetime import UTC, datetime

        import orderfsm
        from orderfsm.samples.builders import Item, OrderSketch

        o = OrderSketch("DR1", "CO1", "SHOP-1", [Item("it-1", "book", 1, 20.0, True)])
        accepted = o.order("accepted", datetime(2026, 3, 1, tzinfo=UTC), fraud_state="passed")
        shipped = []
        registry = orderfsm.HandlerRegistry()
        registry.register(orderfsm.EffectName.REQUEST_SHIPMENT, shipped.append)
        url = "sqlite:///{tmp_path / "shop.db"}"
        with orderfsm.Engine.open(url, create_if_empty=True) as engine:
            engine.submit("SHOP-1", "CO1")
            engine.record_create_order_response("SHOP-1", 201, accepted)
            again = engine.apply_event(o.event("order.accepted", accepted, datetime.now(UTC)))
            orderfsm.Dispatcher.from_engine(engine, registry).run_once()
            state = engine.show("SHOP-1").state
        assert again.outcome is orderfsm.Outcome.STALE, again
        assert state == orderfsm.OrderState.ACCEPTED, state
        assert [e.payload.items[0].id for e in shipped] == ["it-1"]
        loaded = [name for name in {SERVER_MODULES!r} if sys.modules.get(name) is not None]
        assert loaded == [], loaded
        print("embedded")
        """,
        tmp_path,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "embedded"


def test_the_cli_reads_orders_without_a_web_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert _cli(tmp_path, "db", "upgrade", "--db", url).returncode == 0

    done = _cli(tmp_path, "show", "SHOP-404", "--db", url)

    assert done.returncode == 1
    assert "no order with upstream id, DR order id or checkout id 'SHOP-404'" in done.stderr


def test_the_receivers_app_names_the_extra_and_its_config_still_imports(tmp_path: Path) -> None:
    done = _run(
        """
        from orderfsm.adapters.http import ReceiverConfig
        from orderfsm.errors import MissingExtra

        ReceiverConfig("sqlite:///shop.db", secrets=("whsec_x",))
        try:
            from orderfsm.adapters.http import create_app
        except MissingExtra as exc:
            print(exc)
        """,
        tmp_path,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "orderfsm.adapters.http.create_app needs the server extra: pip install 'orderfsm[server]'\n"
    )
