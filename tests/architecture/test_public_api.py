"""The facade a host embeds: everything docs/embedding.md uses is importable from ``orderfsm``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import orderfsm
from orderfsm import errors

# What docs/embedding.md has a host do, by name.
HOST_NEEDS = {
    "Engine",
    "Submit",
    "CreateOrderResponse",
    "WebhookEvent",
    "ApplyResult",
    "Outcome",
    "HandlerRegistry",
    "Effect",
    "Dispatcher",
    "DispatchConfig",
    "apply_inbox",
    "drain_inbox",
    "InboxPolicy",
    "OrderNotFound",
    "OrderConflict",
    "PayloadError",
    "SignatureError",
    "DatabaseUnavailable",
    "SchemaOutOfDate",
    "ConfigurationError",
    "PermanentEffectError",
}


def test_the_facade_exports_what_a_host_needs() -> None:
    assert HOST_NEEDS - set(orderfsm.__all__) == set()


def test_every_exported_error_is_the_one_errors_py_defines() -> None:
    exported = [
        name
        for name in orderfsm.__all__
        if isinstance(getattr(orderfsm, name), type)
        and issubclass(getattr(orderfsm, name), BaseException)
    ]

    assert len(exported) >= 10
    for name in exported:
        assert getattr(orderfsm, name) is getattr(errors, name)


def test_names_that_load_the_engine_stay_lazy() -> None:
    probe = (
        "import sys, orderfsm\n"
        "assert 'sqlalchemy' not in sys.modules\n"
        "orderfsm.Submit, orderfsm.OrderNotFound, orderfsm.WebhookEvent\n"
        "assert 'sqlalchemy' not in sys.modules, 'commands or errors loaded the database'\n"
        "orderfsm.apply_inbox, orderfsm.Dispatcher, orderfsm.Outcome\n"
        "assert 'sqlalchemy' in sys.modules\n"
        "assert 'starlette' not in sys.modules and 'uvicorn' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Engin'"):
        _ = orderfsm.Engin  # type: ignore[attr-defined]
