"""What the console script says, in words a new user reads right (real ``orderfsm`` processes)."""

from __future__ import annotations

from pathlib import Path

from orderfsm import Engine
from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.states import OrderState
from tests.support.cli import run_orderfsm


def one_order(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with Engine.open(url, create_if_empty=True) as engine:
        engine.submit("UP-1", "co-1")
    return url


def test_the_worker_says_how_many_effects_have_a_handler_not_that_it_handled_them(
    tmp_path: Path,
) -> None:
    url = one_order(tmp_path)

    done = run_orderfsm("worker", "--db", url, "--once", "--sink", f"jsonl:{tmp_path}/fx")

    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.endswith(
        f" worker: handlers for {len(EffectName)} of {len(EffectName)} effects; once"
    )
    assert "effect(s) handled" not in done.stdout


def test_a_deadline_for_an_unknown_state_names_every_state_in_one_line(tmp_path: Path) -> None:
    url = one_order(tmp_path)

    done = run_orderfsm("stuck", "--db", url, "--deadline", "bogus=1m")

    assert done.returncode == 1
    states = ", ".join(state.value for state in OrderState)
    assert done.stderr == f"error: --deadline: 'bogus' is not a state; the states are {states}\n"
    assert done.stdout == ""


def test_effects_of_an_unknown_order_is_the_same_one_line_error_as_show(tmp_path: Path) -> None:
    url = one_order(tmp_path)

    effects = run_orderfsm("effects", "--db", url, "--order", "SHOP-NOPE")
    show = run_orderfsm("show", "SHOP-NOPE", "--db", url)
    known = run_orderfsm("effects", "--db", url, "--order", "co-1", "--json")

    assert (effects.returncode, show.returncode) == (1, 1)
    assert effects.stderr == show.stderr
    assert effects.stderr.splitlines() == [
        "error: no order with upstream id, DR order id or checkout id 'SHOP-NOPE'"
    ]
    assert effects.stdout == ""
    # A known order without effects yet is still an empty answer, not an error.
    assert (known.returncode, known.stdout, known.stderr) == (0, "", "")
