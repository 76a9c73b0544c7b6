"""The DigitalRiver-Signature check.

Expected headers are computed here with hmac directly, independently of
``sign``, so a mistake in the module cannot confirm itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from orderfsm.adapters.digitalriver import SignatureConfig, sign, verify_signature
from orderfsm.adapters.digitalriver import signature as signature_module
from orderfsm.errors import ConfigurationError, SignatureError

SECRET = "whsec_current_9f8e7d6c"
OLD_SECRET = "whsec_previous_1a2b3c4d"
BODY = b'{"id":"evt-1","type":"order.accepted","data":{"object":{"id":"1"}}}'
NOW = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))


def _digest(secret: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).digest()


def _bare(secret: str = SECRET, timestamp: str = TS, body: bytes = BODY) -> str:
    return f"{timestamp}, {base64.b64encode(_digest(secret, timestamp, body)).decode()}"


def _prefixed_hex(secret: str = SECRET, timestamp: str = TS, body: bytes = BODY) -> str:
    return f"t={timestamp},v0={_digest(secret, timestamp, body).hex()}"


def _prefixed_b64(secret: str = SECRET, timestamp: str = TS, body: bytes = BODY) -> str:
    return f"t={timestamp},v0={base64.b64encode(_digest(secret, timestamp, body)).decode()}"


def _refusal(header: str | None, *, body: bytes = BODY, **kwargs: object) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        verify_signature(header, body, [SECRET], now=NOW, **kwargs)  # type: ignore[arg-type]
    assert SECRET not in str(caught.value)
    return caught.value


FORMS: dict[str, Callable[..., str]] = {
    "bare base64": _bare,
    "prefixed hex": _prefixed_hex,
    "prefixed base64": _prefixed_b64,
}


# ------------------------------------------------------------------ valid signatures


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_valid_signature_passes_in_each_header_form(form: str) -> None:
    verify_signature(FORMS[form](), BODY, [SECRET], now=NOW)


def test_sign_writes_the_bare_form_drs_salesforce_connector_verifies() -> None:
    assert sign(BODY, SECRET, int(TS)) == _bare()
    assert sign(BODY, SECRET, NOW) == _bare()


def test_a_header_from_sign_verifies() -> None:
    verify_signature(sign(BODY, SECRET, NOW), BODY, [SECRET], now=NOW)


def test_upper_case_hex_passes() -> None:
    header = f"t={TS},v0={_digest(SECRET, TS, BODY).hex().upper()}"

    verify_signature(header, BODY, [SECRET], now=NOW)


def test_one_matching_signature_among_several_v0_entries_passes() -> None:
    good = _digest(SECRET, TS, BODY).hex()
    header = f"t={TS},v0={'0' * 64},v0={good}"

    verify_signature(header, BODY, [SECRET], now=NOW)


@pytest.mark.parametrize(
    "timestamp",
    [
        str(int(NOW.timestamp()) * 1000 + 250),  # unix milliseconds
        "2024-03-01T12:00:00Z",
        "2024-03-01T13:00:00+01:00",
        "2024-03-01T12:00:00.123456+00:00",
        "2024-03-01T12:00:00",  # no offset: read as UTC
    ],
)
def test_millisecond_and_iso_timestamps_pass_and_are_signed_as_written(timestamp: str) -> None:
    verify_signature(_bare(timestamp=timestamp), BODY, [SECRET], now=NOW)
    verify_signature(_prefixed_hex(timestamp=timestamp), BODY, [SECRET], now=NOW)


def test_now_may_be_given_as_unix_seconds_or_a_naive_utc_datetime() -> None:
    verify_signature(_bare(), BODY, [SECRET], now=NOW.timestamp())
    verify_signature(_bare(), BODY, [SECRET], now=NOW.replace(tzinfo=None))


def test_an_empty_body_can_be_signed_and_verified() -> None:
    verify_signature(_bare(body=b""), b"", [SECRET], now=NOW)


# ------------------------------------------------------------------ one-byte changes


@pytest.mark.parametrize("position", [0, 1, len(BODY) // 2, len(BODY) - 1])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_one_byte_change_of_the_body_fails(form: str, position: int) -> None:
    changed = bytearray(BODY)
    changed[position] ^= 0x01

    error = _refusal(FORMS[form](), body=bytes(changed))

    assert error.check == "no matching signature"


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_one_byte_change_of_the_timestamp_fails(form: str) -> None:
    header = FORMS[form]()
    # 1709294400 -> 1709294401: still within tolerance, so only the HMAC can refuse it.
    changed = header.replace(TS, TS[:-1] + str((int(TS[-1]) + 1) % 10), 1)
    assert changed != header

    error = _refusal(changed)

    assert error.check == "no matching signature"


def _flip_char(text: str, position: int, alphabet: str) -> str:
    current = text[position]
    replacement = next(c for c in alphabet if c != current)
    return text[:position] + replacement + text[position + 1 :]


B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@pytest.mark.parametrize("position", [0, 10, 42, 43])
def test_a_one_byte_change_of_a_base64_signature_fails(position: int) -> None:
    timestamp, signature = _bare().split(", ")
    assert len(signature) == 44 and signature.endswith("=")
    alphabet = B64_ALPHABET if position < 43 else "A"  # replace the padding itself too
    changed = _flip_char(signature, position, alphabet)

    error = _refusal(f"{timestamp}, {changed}")

    assert error.check == "no matching signature"


@pytest.mark.parametrize("position", [0, 31, 63])
def test_a_one_byte_change_of_a_hex_signature_fails(position: int) -> None:
    header = _prefixed_hex()
    prefix, signature = header.split(",v0=")

    error = _refusal(f"{prefix},v0={_flip_char(signature, position, '0123456789abcdef')}")

    assert error.check == "no matching signature"


# The last base64 character before "=" carries 4 digest bits and 2 unused ones, so
# a check that decoded the signature before comparing would let this change pass.
def test_the_last_base64_character_changed_by_its_unused_bits_still_fails() -> None:
    timestamp, signature = _bare().split(", ")
    last = signature[42]
    index = B64_ALPHABET.index(last)
    sibling = B64_ALPHABET[index ^ 0b01]  # same digest bits, different unused bit
    assert base64.b64decode(signature) == base64.b64decode(signature[:42] + sibling + "="), (
        "precondition: both strings decode to the same digest"
    )

    error = _refusal(f"{timestamp}, {signature[:42]}{sibling}=")

    assert error.check == "no matching signature"


# ------------------------------------------------------------------ timestamps


@pytest.mark.parametrize("offset", [timedelta(minutes=5, seconds=1), timedelta(hours=13)])
@pytest.mark.parametrize("direction", [-1, 1], ids=["old", "future"])
def test_an_old_or_a_future_timestamp_fails(offset: timedelta, direction: int) -> None:
    signed_at = str(int((NOW + direction * offset).timestamp()))

    error = _refusal(_bare(timestamp=signed_at))

    assert error.check == "timestamp outside tolerance"


def test_a_timestamp_exactly_at_the_tolerance_passes() -> None:
    signed_at = str(int((NOW - timedelta(minutes=5)).timestamp()))

    verify_signature(_bare(timestamp=signed_at), BODY, [SECRET], now=NOW)


def test_the_tolerance_is_configurable() -> None:
    signed_at = str(int((NOW - timedelta(minutes=30)).timestamp()))
    header = _bare(timestamp=signed_at)

    verify_signature(header, BODY, [SECRET], now=NOW, tolerance=timedelta(hours=1))
    error = _refusal(header, tolerance=timedelta(minutes=10))
    assert error.check == "timestamp outside tolerance"


def test_a_forged_old_delivery_is_refused_for_its_signature_not_its_age() -> None:
    signed_at = str(int((NOW - timedelta(days=1)).timestamp()))

    error = _refusal(_bare(secret="not-the-secret", timestamp=signed_at))

    assert error.check == "no matching signature"


# ------------------------------------------------------------------ secrets and rotation


@pytest.mark.parametrize("signed_with", [SECRET, OLD_SECRET])
def test_during_a_rotation_either_secret_passes(signed_with: str) -> None:
    verify_signature(_bare(secret=signed_with), BODY, [SECRET, OLD_SECRET], now=NOW)


def test_a_secret_that_is_not_configured_fails() -> None:
    with pytest.raises(SignatureError) as caught:
        verify_signature(_bare(secret="whsec_stranger"), BODY, [SECRET, OLD_SECRET], now=NOW)

    assert caught.value.check == "no matching signature"
    assert SECRET not in str(caught.value) and OLD_SECRET not in str(caught.value)


def test_no_secrets_means_no_signature_can_match() -> None:
    with pytest.raises(SignatureError) as caught:
        verify_signature(_bare(), BODY, [], now=NOW)

    assert caught.value.check == "no matching signature"


# ------------------------------------------------------------------ malformed and missing


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_header_says_so(header: str | None) -> None:
    assert _refusal(header).check == "missing header"


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        TS,
        f"{TS},",
        f", {TS}",
        f"{TS}, a, b",
        "yesterday, c2lnbmF0dXJl",
        "t=123",
        f"v0={'0' * 64}",
        f"t={TS},v1={'0' * 64}",
        f"t={TS},t={TS},v0={'0' * 64}",
        f"t={TS},junk,v0={'0' * 64}",
        f"t=soon,v0={'0' * 64}",
        f"{TS}, sïgnature",
        f"{'9' * 40}, c2lnbmF0dXJl",
        f"{TS}, {'A' * 5000}",
    ],
)
def test_a_malformed_header_says_so(header: str) -> None:
    assert _refusal(header).check == "malformed header"


# ------------------------------------------------------------------ constant time


def test_every_comparison_goes_through_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature_module.hmac, "compare_digest", spy)

    verify_signature(_bare(), BODY, [SECRET, OLD_SECRET], now=NOW)

    # two secrets x one signature x two encodings (base64, hex), no early exit
    assert len(calls) == 4
    assert any(a == b for a, b in calls)


def test_the_verdict_is_compare_digests_not_another_equality(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(signature_module.hmac, "compare_digest", lambda a, b: False)

    error = _refusal(_bare())

    assert error.check == "no matching signature"


# ------------------------------------------------------------------ configuration


def test_a_signature_config_verifies_with_its_secrets_and_tolerance() -> None:
    config = SignatureConfig((SECRET, OLD_SECRET), tolerance=timedelta(minutes=1))
    late = str(int((NOW - timedelta(minutes=2)).timestamp()))

    config.verify(_bare(secret=OLD_SECRET), BODY, now=NOW)
    with pytest.raises(SignatureError) as caught:
        config.verify(_bare(timestamp=late), BODY, now=NOW)
    assert caught.value.check == "timestamp outside tolerance"


def test_a_signature_config_never_shows_its_secrets() -> None:
    config = SignatureConfig((SECRET,))

    assert SECRET not in repr(config)
    assert SECRET not in str(config)


@pytest.mark.parametrize(
    ("secrets", "tolerance", "field"),
    [
        ((), timedelta(minutes=5), "secrets"),
        (("",), timedelta(minutes=5), "secrets"),
        ((" ",), timedelta(minutes=5), "secrets"),
        ((SECRET, "\t"), timedelta(minutes=5), "secrets"),
        ((SECRET,), timedelta(-1), "tolerance"),
    ],
)
def test_a_signature_config_refuses_no_secret_a_blank_one_or_a_negative_tolerance(
    secrets: tuple[str, ...], tolerance: timedelta, field: str
) -> None:
    with pytest.raises(ConfigurationError, match=rf"^SignatureConfig\.{field} ") as raised:
        SignatureConfig(secrets, tolerance=tolerance)

    assert SECRET not in str(raised.value)


def test_the_config_is_frozen() -> None:
    config = SignatureConfig((SECRET,))

    with pytest.raises(AttributeError):
        config.secrets = ("other",)  # type: ignore[misc]
