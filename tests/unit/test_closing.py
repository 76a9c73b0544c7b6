"""The ``with`` base of the engine, the dispatcher and the clients: exit is close()."""

from __future__ import annotations

import pytest

from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.adapters.handlers.http import HttpFulfilmentClient
from orderfsm.closing import Closing
from orderfsm.dispatch import Dispatcher
from orderfsm.service import Engine


class _Pool(Closing):
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_a_with_block_gives_the_object_itself_and_closes_it_once() -> None:
    pool = _Pool()
    with pool as entered:
        assert entered is pool
        assert pool.closed == 0
    assert pool.closed == 1


def test_an_exception_in_the_block_still_closes_and_is_not_swallowed() -> None:
    pool = _Pool()
    with pytest.raises(RuntimeError, match="boom"), pool:
        raise RuntimeError("boom")
    assert pool.closed == 1


def test_a_class_without_close_cannot_be_made() -> None:
    class NoClose(Closing):
        pass

    with pytest.raises(TypeError, match="close"):
        NoClose()  # type: ignore[abstract]


@pytest.mark.parametrize("made", [Engine, Dispatcher, DrClient, HttpFulfilmentClient])
def test_the_engine_dispatcher_and_clients_share_it(made: type[object]) -> None:
    assert issubclass(made, Closing)
    assert "__exit__" not in vars(made) and "__enter__" not in vars(made)
