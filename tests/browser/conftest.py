"""The browser test reuses the access-request fixtures (recording senders)."""

from tests.access_requests.conftest import email, svc, twitter

__all__ = ["email", "svc", "twitter"]
