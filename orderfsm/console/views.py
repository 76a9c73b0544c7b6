"""The console's pages and its two actions (retry an effect, retry an inbox entry).

Pages are sync endpoints (Starlette runs them in its threadpool: the
database is synchronous SQLAlchemy). Actions are POSTs with the CSRF token;
each records who retried in the same transaction as the retry
(:mod:`orderfsm.persistence.operator_actions`) and redirects back (303).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from orderfsm.console import queries
from orderfsm.console.auth import CSRF_FIELD
from orderfsm.console.drawing import dot_available, inline_svg, live_graph
from orderfsm.console.order_page import order_page
from orderfsm.console.site import Site, operator_of, site_of
from orderfsm.errors import EffectNotFound, InboxEntryNotFound, OrderNotFound
from orderfsm.fsm.states import OrderState
from orderfsm.persistence import EffectStatus, InboxStatus
from orderfsm.persistence import inbox as inbox_store
from orderfsm.persistence.database import utcnow
from orderfsm.persistence.operator_actions import retry_effect, retry_inbox_entry
from orderfsm.persistence.order_list import OrderFilter, Sort, Stuck, list_orders
from orderfsm.persistence.outbox import list_effects

PAGE_SIZE = 50
"""Orders per page."""
LISTED = 200
"""At most this many inbox entries or effects of each status on their pages."""
EDGE_WINDOW = timedelta(hours=24)
"""The lifecycle page counts the edges taken in this window."""


def orders(request: Request) -> Response:
    """The orders page: search, filters, counts per state, keyset paging."""
    site = site_of(request)
    params = request.query_params
    search = (params.get("q") or "").strip() or None
    state = params.get("state") or None
    if state is not None and state not in OrderState.__members__.values():
        return PlainTextResponse(f"unknown state {state!r}", status_code=400)
    after = params.get("after")
    if after is not None and not (after.isascii() and after.isdigit()):
        return PlainTextResponse(f"not a page cursor: {after!r}", status_code=400)
    query = OrderFilter(
        search=search,
        state=state,
        stuck=Stuck(site.holder.deadlines, utcnow()) if params.get("stuck") == "1" else None,
        disputed=True if params.get("disputed") == "1" else None,
        dead_effects=params.get("dead") == "1",
    )
    page = list_orders(
        site.holder.db, query, limit=PAGE_SIZE, after=after or None, sort=Sort.NEWEST_FIRST
    )
    if search and len(page.lines) == 1 and not after:
        return RedirectResponse(
            request.url_for("order", ref=page.lines[0].upstream_id), status_code=303
        )
    counts = queries.state_counts(site.holder.db)
    return site.page(
        request,
        "orders.html",
        page=page,
        query=query,
        after=int(after) if after else None,
        counts=counts,
        total=sum(counts.values()),
        states=[s.value for s in OrderState],
    )


def order(request: Request) -> Response:
    """One order: ids, state, items, timeline, effects, path."""
    site = site_of(request)
    ref = request.path_params["ref"]
    try:
        shown = order_page(site.holder, ref)
    except OrderNotFound as exc:
        return site.page(request, "missing.html", status_code=404, message=str(exc))
    return site.page(
        request,
        "order.html",
        shown=shown,
        svg=inline_svg(shown.path),
        dot=dot_available(),
    )


def lifecycle(request: Request) -> Response:
    """The whole lifecycle with orders per state and edges taken in the last 24 hours."""
    site = site_of(request)
    counts = queries.state_counts(site.holder.db)
    taken = queries.edges_taken_since(site.holder.db, utcnow() - EDGE_WINDOW)
    return site.page(
        request,
        "lifecycle.html",
        counts=counts,
        taken=sorted(taken.items(), key=lambda item: -item[1]),
        svg=inline_svg(live_graph(counts, taken)),
    )


def inbox(request: Request) -> Response:
    """Dead inbox entries and those waiting for another attempt, with their errors."""
    site = site_of(request)
    dead = inbox_store.entries(site.holder.db, status=InboxStatus.DEAD, limit=LISTED)
    waiting = inbox_store.entries(site.holder.db, status=InboxStatus.RECEIVED, limit=LISTED)
    retrying = [entry for entry in waiting if entry.error]
    return site.page(request, "inbox.html", dead=dead, retrying=retrying)


def effects(request: Request) -> Response:
    """Dead effects and failed ones waiting for their next attempt, with their errors."""
    site = site_of(request)
    with site.holder.db.connect() as connection:
        dead = list_effects(connection, status=EffectStatus.DEAD, limit=LISTED)
        failed = list_effects(connection, status=EffectStatus.FAILED, limit=LISTED)
    return site.page(request, "effects.html", dead=dead, failed=failed)


async def retry_effect_action(request: Request) -> Response:
    """POST: re-queue a dead effect (``key``), recorded with who did it."""
    site, form = site_of(request), await _form(request)
    refused = site.refuse_without_token(request, form.get(CSRF_FIELD))
    if refused is not None:
        return refused
    key = form.get("key", "")
    try:
        action = await run_in_threadpool(
            retry_effect, site.holder.db, key, operator_of(request), now=utcnow()
        )
    except EffectNotFound as exc:
        return PlainTextResponse(str(exc), status_code=409)
    target = action.upstream_id
    back = request.url_for("order", ref=target) if target else request.url_for("effects")
    return RedirectResponse(back, status_code=303)


async def retry_inbox_action(request: Request) -> Response:
    """POST: put an inbox entry (``entry_id``) back in line, recorded with who did it."""
    site, form = site_of(request), await _form(request)
    refused = site.refuse_without_token(request, form.get(CSRF_FIELD))
    if refused is not None:
        return refused
    entry_id = form.get("entry_id", "")
    if not (entry_id.isascii() and entry_id.isdigit()):
        return PlainTextResponse(f"not an inbox entry id: {entry_id!r}", status_code=400)
    try:
        await run_in_threadpool(
            retry_inbox_entry, site.holder.db, int(entry_id), operator_of(request), now=utcnow()
        )
    except InboxEntryNotFound as exc:
        return PlainTextResponse(str(exc), status_code=409)
    return RedirectResponse(request.url_for("inbox"), status_code=303)


def stylesheet(request: Request) -> Response:
    """The console's one CSS file."""
    return Response(Site.stylesheet(), media_type="text/css")


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form, first value of each field (no multipart: nothing is uploaded)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(body).items()}
