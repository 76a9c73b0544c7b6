"""Built-in effect handlers: a JSON-lines sink, an SMTP notifier, HTTP fulfilment clients.

Each is a callable taking an :class:`orderfsm.dispatch.Effect`, with a
``register(registry)`` method that makes it the handler of the effects it
covers. Hosts use them as they are, or as examples of their own.
"""

from orderfsm.adapters.handlers.dr_fulfilment import DrFulfilmentHandler
from orderfsm.adapters.handlers.http import HttpFulfilmentClient, HttpFulfilmentConfig
from orderfsm.adapters.handlers.jsonl import JsonlSink, read_jsonl
from orderfsm.adapters.handlers.smtp import MerchantContact, SmtpConfig, SmtpNotifier

__all__ = [
    "DrFulfilmentHandler",
    "HttpFulfilmentClient",
    "HttpFulfilmentConfig",
    "JsonlSink",
    "MerchantContact",
    "SmtpConfig",
    "SmtpNotifier",
    "read_jsonl",
]
