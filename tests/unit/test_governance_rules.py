"""Pure rules of access governance: password policy, lockout backoff, firewall
verdicts, client addresses behind proxies, test-workspace expiry."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest

from application.governance import classify, client_address, parse_address
from domain.accounts import (
    EU_EEA,
    AccessPolicy,
    AddressKind,
    firewall_refusal,
    is_expired,
    lockout_duration,
    password_problems,
)
from infrastructure.governance import common_passwords

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))
ON = AccessPolicy(firewall_enabled=True)


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Sh0rt!", "at least 8 characters"),
        ("ALLUPPER1!", "a lower-case letter"),
        ("alllower1!", "an upper-case letter"),
        ("NoDigits!!", "a digit"),
        ("NoSymbol12", "a symbol"),
        ("Password1!", "not a common or breached password"),
        ("P@ssw0rd2024!", "not a common or breached password"),
        ("!!Dragon99", "not a common or breached password"),
        ("Summer2025#", "not a common or breached password"),
    ],
)
def test_weak_password_is_refused_naming_what_it_lacks(
    password: str, missing: str
) -> None:
    assert missing in password_problems(password, common_passwords())


def test_strong_password_passes_the_policy() -> None:
    assert password_problems("Fjord-Lantern-73-Quill", common_passwords()) == []


def test_bundled_list_holds_well_known_breached_passwords() -> None:
    assert {"123456", "qwerty", "letmein", "welcome2024"} <= common_passwords()


def test_lockout_doubles_and_stops_at_an_hour() -> None:
    durations = [lockout_duration(n) for n in range(0, 10)]

    assert durations[:3] == [dt.timedelta(minutes=m) for m in (1, 2, 4)]
    assert durations[-1] == dt.timedelta(hours=1)


def test_eu_eea_has_thirty_countries_with_norway_and_greece_as_gr() -> None:
    assert len(EU_EEA) == 30
    assert {"NO", "IS", "LI", "GR"} <= EU_EEA


@pytest.mark.parametrize(
    ("policy", "kind", "country", "refused"),
    [
        (AccessPolicy(), AddressKind.PUBLIC, "US", False),  # firewall off
        (ON, AddressKind.PUBLIC, "NO", False),
        (ON, AddressKind.PUBLIC, "US", True),
        (
            AccessPolicy(firewall_enabled=True, allowed_countries=frozenset({"US"})),
            AddressKind.PUBLIC,
            "US",
            False,
        ),
        (ON, AddressKind.PUBLIC, None, True),  # unknown country, default rule
        (
            AccessPolicy(firewall_enabled=True, unknown_country="allow"),
            AddressKind.PUBLIC,
            None,
            False,
        ),
        (ON, AddressKind.PRIVATE, None, False),  # private, default rule
        (
            AccessPolicy(firewall_enabled=True, private_addresses="refuse"),
            AddressKind.PRIVATE,
            None,
            True,
        ),
        (ON, AddressKind.MALFORMED, None, True),
    ],
)
def test_firewall_verdict_follows_the_documented_rules(
    policy: AccessPolicy, kind: AddressKind, country: str | None, refused: bool
) -> None:
    assert (firewall_refusal(policy, kind, country) is not None) is refused


def test_forwarded_for_from_untrusted_peer_is_ignored() -> None:
    assert client_address("8.8.8.8", "193.0.6.139", TRUSTED) == "8.8.8.8"


def test_forwarded_for_from_trusted_proxy_gives_the_first_untrusted_hop() -> None:
    chain = "193.0.6.139, 8.8.8.8, 10.1.1.1"

    assert client_address("10.0.0.5", chain, TRUSTED) == "8.8.8.8"


def test_spoofed_leftmost_hop_cannot_hide_the_real_client() -> None:
    # The client wrote "193.0.6.139" itself; our proxy appended its real address.
    assert client_address("10.0.0.5", "193.0.6.139, 8.8.8.8", TRUSTED) == "8.8.8.8"


def test_ipv6_proxy_is_trusted_by_its_block() -> None:
    assert client_address("fd00::1", "2001:67c:2e8::1", TRUSTED) == "2001:67c:2e8::1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("::ffff:193.0.6.139", "193.0.6.139"),
        ("[2001:67c:2e8::1]:443", "2001:67c:2e8::1"),
        ("193.0.6.139:8080", "193.0.6.139"),
        ("2001:67c:2e8::1", "2001:67c:2e8::1"),
    ],
)
def test_address_forms_proxies_write_are_understood(text: str, expected: str) -> None:
    assert str(parse_address(text)) == expected


@pytest.mark.parametrize(
    "text", ["", "not-an-ip", "999.1.1.1", "1.2.3", "::gg", "1.2.3.4, 5.6.7.8", "\x00"]
)
def test_malformed_address_is_classified_malformed(text: str) -> None:
    assert classify(parse_address(text)) is AddressKind.MALFORMED


@pytest.mark.parametrize("text", ["10.1.2.3", "127.0.0.1", "::1", "fe80::1", "fc00::5"])
def test_private_and_loopback_addresses_are_private(text: str) -> None:
    assert classify(parse_address(text)) is AddressKind.PRIVATE


def test_test_workspace_expires_after_thirty_days_and_real_ones_never() -> None:
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    day_29 = created + dt.timedelta(days=29)
    day_30 = created + dt.timedelta(days=30)

    assert not is_expired(True, created, day_29)
    assert is_expired(True, created, day_30)
    assert not is_expired(False, created, day_30 + dt.timedelta(days=999))
