"""Every error orderfsm raises, under one root.

::

    OrderFsmError
    ├── InvalidDefinition        the lifecycle table breaks a static rule
    ├── PayloadError             a DR payload could not be read (JSON path + reason)
    ├── JournalLineError         a journal line could not be read (which line, what is wrong)
    ├── SignatureError           a webhook signature check failed (which check)
    ├── EnvelopeError            a delivery is not a DR event envelope (the receiver answers 400)
    ├── BodyTooLarge             a delivery went past the receiver's size limit (413)
    ├── ServerStartError         the receiver's uvicorn did not start serving in time
    ├── OrderNotFound            no order matches the reference given
    ├── InboxEntryNotFound       no inbox entry has this id or DR event id
    ├── OrderConflict            an upstream id is already bound to another checkout
    ├── SchemaOutOfDate          the database is behind the package's migrations
    ├── DatabaseUnavailable      the database URL could not be opened or reached
    ├── ContentionExhausted      a unit of work kept colliding with other workers
    ├── Contention               internal (persistence.contention): another transaction got
    │   │                        in the way; the unit of work runs again, callers never see it
    │   └── VersionConflict      internal: the order changed since it was read
    ├── StorageError             the database refused or lost a unit of work (which operation)
    ├── BatchInterrupted         a journal batch stopped part-way (outage, contention): the
    │                            answers so far, for the run to resume from its stored mark
    ├── JournalStopped           a journal run gave up; lines after its last commit not applied
    ├── EffectRegistrationError  a handler names an effect outside the vocabulary
    ├── EffectDeliveryError      an effect handler's attempt failed; the dispatcher retries
    │   └── PermanentEffectError a handler says retrying cannot help: the effect goes dead
    ├── EffectNotFound           no outbox row with this key (in the status asked for)
    ├── DiagramError             a diagram cannot be rendered (e.g. no `dot`); in orderfsm.diagrams
    ├── InconsistentPlan         orderfsm.testing: a DR history DR could not have produced
    ├── MissingExtra             an optional part's packages are not installed (names the extra)
    ├── ConfigurationError       a configuration object (or a set-up call, e.g. a harness
    │                            strategy) was given values it cannot work with (names the
    │                            field and what is wrong with its value)
    └── DrApiError               a Digital River API call failed (the message names the call)
        ├── DrUnreachable        no answer (timeout, connection error, 5xx) after the retries
        ├── DrRateLimited        DR answered 429; ``retry_after`` says how long to send nothing
        ├── DrRequestRejected    DR refused the request (4xx) with its code and message
        └── DrAnswerInvalid      DR answered something the adapter's models cannot read

A refused trigger is *not* an error: it is an outcome, recorded in history.
Every exception class defined in orderfsm is in this tree
(``tests/architecture/test_error_tree.py`` walks the package to keep it so).
"""

from __future__ import annotations

from collections.abc import Sequence


class OrderFsmError(Exception):
    """Root of every error orderfsm raises on purpose."""


class InvalidDefinition(OrderFsmError):
    """The lifecycle table breaks a rule checked by ``orderfsm.fsm.checks``."""


class PayloadError(OrderFsmError):
    """A Digital River payload could not be read.

    ``problems`` holds one ``"json.path: reason"`` line per problem; the event id
    and type are kept when they could be read, so operators can find the event.
    """

    def __init__(
        self,
        problems: Sequence[str],
        *,
        event_id: str | None = None,
        event_type: str | None = None,
    ) -> None:
        self.problems = tuple(problems)
        self.event_id = event_id
        self.event_type = event_type
        where = ""
        if event_id or event_type:
            where = f" (event {event_id or '?'}, type {event_type or '?'})"
        super().__init__(f"invalid Digital River payload{where}: " + "; ".join(self.problems))


class JournalLineError(OrderFsmError):
    """One journal line could not be read; the message names the line and what is wrong."""


class EnvelopeError(OrderFsmError):
    """A delivered body is not a DR event envelope; the message says what is wrong (for DR)."""


class BodyTooLarge(OrderFsmError):
    """A delivered body went past the receiver's limit (the rest of it was not read)."""


class ServerStartError(OrderFsmError):
    """The receiver's uvicorn server did not start serving in time."""


class InboxEntryNotFound(OrderFsmError):
    """No inbox entry has this id or DR event id."""


class InconsistentPlan(OrderFsmError):
    """A plan DR could not have produced (a step not allowed where DR's order stands)."""


class SignatureError(OrderFsmError):
    """A ``DigitalRiver-Signature`` check failed; ``check`` names which one."""

    def __init__(self, check: str, detail: str = "") -> None:
        self.check = check
        super().__init__(f"signature check failed: {check}" + (f" ({detail})" if detail else ""))


class OrderNotFound(OrderFsmError):
    """No stored order has this upstream id, DR order id or checkout id."""

    def __init__(self, ref: str, parked: Sequence[str] = ()) -> None:
        self.ref = ref
        self.parked = tuple(parked)
        """The types of the DR events parked for ``ref``, waiting for its order."""
        message = f"no order with upstream id, DR order id or checkout id {ref!r}"
        if self.parked:
            kinds = ", ".join(dict.fromkeys(self.parked))
            count = len(self.parked)
            message += (
                f"; {count} event{'s' if count > 1 else ''} ({kinds}) "
                f"{'are' if count > 1 else 'is'} parked for it, "
                "waiting for the order to be submitted"
            )
        super().__init__(message)


class OrderConflict(OrderFsmError):
    """The request contradicts what is stored (e.g. an upstream id bound to another checkout)."""


class SchemaOutOfDate(OrderFsmError):
    """The database schema is behind the package's migrations."""


class EffectRegistrationError(OrderFsmError):
    """A handler was registered for a name outside the effect vocabulary."""


class EffectDeliveryError(OrderFsmError):
    """An effect handler's attempt failed (server down, 5xx, timeout); it will be retried.

    Handlers may raise any exception to ask for a retry; the built-in ones
    translate their libraries' errors into this one.
    """


class PermanentEffectError(EffectDeliveryError):
    """Raised by an effect handler when retrying cannot help (e.g. a 4xx answer).

    The dispatcher marks the effect ``dead`` at once, with this message as its
    last error; any other exception is retried with backoff.
    """


class EffectNotFound(OrderFsmError):
    """No outbox row has this idempotency key, or not in the status required."""

    def __init__(self, key: str, detail: str = "") -> None:
        self.key = key
        super().__init__(f"no effect with key {key!r}" + (f" {detail}" if detail else ""))


class DatabaseUnavailable(OrderFsmError):
    """The database could not be opened: unsupported URL, server down, file not creatable."""


class ContentionExhausted(OrderFsmError):
    """A unit of work collided with other workers on every attempt; nothing was committed."""

    def __init__(self, attempts: int, last_error: str) -> None:
        self.attempts = attempts
        super().__init__(
            f"gave up after {attempts} attempts colliding with other workers: {last_error}"
        )


class MissingExtra(OrderFsmError):
    """A part of orderfsm needs packages of an extra that is not installed.

    The message names the part and the command that installs the extra, e.g.
    ``orderfsm serve needs the server extra: pip install 'orderfsm[server]'``.
    """


class StorageError(OrderFsmError):
    """The database failed a unit of work for a reason a retry cannot fix; nothing was committed.

    ``operation`` names what was being done (``apply``, ``show``...);
    ``connection_lost`` is True when the connection itself broke (the server
    went away), which says nothing about the work. The database's own error
    is the ``__cause__``; the message never holds a password.
    """

    def __init__(self, operation: str, detail: str, *, connection_lost: bool = False) -> None:
        self.operation = operation
        self.connection_lost = connection_lost
        super().__init__(f"{operation}: database error: {detail}")


class BatchInterrupted(OrderFsmError):
    """A journal batch stopped part-way: the database went away, or contention outlasted retries.

    ``cause`` is the :class:`StorageError` or :class:`ContentionExhausted` that
    stopped it. ``answers`` are the answers, in order, of the first commands,
    computed before their transaction's ``COMMIT``: the last transaction's may
    or may not have committed (the run's stored mark says which).
    """

    def __init__(self, cause: OrderFsmError, answers: tuple[object, ...]) -> None:
        self.cause = cause
        self.answers = answers
        super().__init__(str(cause))


class JournalStopped(OrderFsmError):
    """A journal run gave up: the database stayed unavailable, or failed in a way no wait fixes.

    Every line up to the run's last committed one is applied exactly once;
    none after it is.
    """


class ConfigurationError(OrderFsmError):
    """A configuration object (or a set-up call, e.g. a harness strategy) got values it cannot use.

    Every configuration object (``ReceiverConfig``, ``DispatchConfig``,
    ``InboxPolicy``, ``SignatureConfig``, ...) raises it, never ``ValueError``;
    the message names the field and what is wrong with its value (never the
    value of a secret).
    """


class DrApiError(OrderFsmError):
    """A Digital River API call failed; ``call`` names it (``"POST /orders"``), never the key."""

    def __init__(self, call: str, detail: str) -> None:
        self.call = call
        super().__init__(f"{call}: {detail}")


class DrUnreachable(DrApiError):
    """No answer from DR (timeout, connection error, 5xx) after the retries allowed.

    For a ``POST`` the request may still have been carried out: the answer is lost.
    """


class DrRateLimited(DrApiError):
    """DR answered ``429``; nothing may be sent with this key for ``retry_after`` seconds."""

    def __init__(self, call: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(call, f"rate limited by Digital River (Retry-After {retry_after:g}s)")


class DrRequestRejected(DrApiError):
    """DR refused the request with a 4xx; ``codes`` and ``messages`` are DR's own."""

    def __init__(
        self, call: str, status: int, codes: Sequence[str], messages: Sequence[str]
    ) -> None:
        self.status = status
        self.codes = tuple(codes)
        self.messages = tuple(messages)
        said = "; ".join(
            f"{code}: {message}" if message else code
            for code, message in zip(self.codes, self.messages, strict=False)
        )
        super().__init__(call, f"Digital River answered {status}" + (f" ({said})" if said else ""))


class DrAnswerInvalid(DrApiError):
    """DR's answer could not be read as the payload the call expects."""
