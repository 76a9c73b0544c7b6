"""Passwords out of everything the CLI prints: one redaction for every URL, parsable or not.

A ``--db`` URL reaches messages in many shapes: whole (``make_url`` refused
it), split by a driver, quoted by a ``repr``. Parsing cannot be relied on
(the URLs that leak are the ones that do not parse), so the rule is textual:
in any run of non-blank characters holding an ``@``, what stands between
the user name's ``:`` and the last ``@`` is a password; so is a
``password=`` query value. The URLs given on this command line (``--db``)
are also replaced wherever they appear verbatim, which covers a password
holding blanks or quotes. Pure ``re``: importing this costs nothing.
"""

from __future__ import annotations

import re

MASK = "***"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:/+")
"""``postgresql://``, ``postgres:/``: a scheme, only when a ``/`` follows its colon.

Searched, not matched: a run may start with a bracket or a word glued to it."""
_CREDENTIALS = re.compile(r"""[^\s'"`]*@[^\s'"`]*""")
"""A run of characters that may hold ``user:password@host``."""
_QUERY_PASSWORD = re.compile(r"(?i)([?&;\s](?:password|passwd|pwd)=)[^&\s'\"]*")

_given: list[str] = []
"""URLs given on this command line; replaced verbatim wherever they appear."""


def remember_url(url: str) -> str:
    """Note a URL the user gave (its redacted form replaces it in any message); return it."""
    if url and url not in _given and redact_url(url) != url:
        _given.append(url)
    return url


def redact_url(url: str) -> str:
    """``url`` with its password (if any) shown as ``***``; the rest kept as given."""
    hidden = _hide_userinfo_password(url) if "@" in url else url
    return _QUERY_PASSWORD.sub(rf"\1{MASK}", hidden)


def redact(text: str) -> str:
    """``text`` with every password in a URL, or of a URL given on this command line, hidden."""
    for url in sorted(_given, key=len, reverse=True):
        text = text.replace(url, redact_url(url))
    text = _CREDENTIALS.sub(lambda found: _hide_userinfo_password(found.group()), text)
    return _QUERY_PASSWORD.sub(rf"\1{MASK}", text)


def _hide_userinfo_password(run: str) -> str:
    at = run.rfind("@")
    scheme = _SCHEME.search(run, 0, at)
    start = scheme.end() if scheme else 0
    userinfo = run[start:at]
    user, colon, password = userinfo.partition(":")
    if not colon or not password or password == MASK:
        return run
    return f"{run[:start]}{user}:{MASK}{run[at:]}"
