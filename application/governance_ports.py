"""Ports of access governance; infrastructure implements them."""

from __future__ import annotations

import abc
from ipaddress import IPv4Address, IPv6Address


class CountryLookup(abc.ABC):
    """Maps a public IP address to its ISO 3166-1 alpha-2 country, offline.

    `country` answers None for addresses the database does not cover, never
    raises, and never reaches the network.
    """

    @abc.abstractmethod
    def country(self, address: IPv4Address | IPv6Address) -> str | None: ...


class PasswordHasher(abc.ABC):
    """A slow, salted one-way hash for passwords (Argon2id in production)."""

    @abc.abstractmethod
    def hash(self, password: str) -> str: ...

    @abc.abstractmethod
    def verify(self, stored_hash: str, password: str) -> bool:
        """True when the password matches; False for a mismatch or a hash that
        cannot be read."""
