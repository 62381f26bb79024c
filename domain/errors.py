"""Errors raised by domain rules. Each keeps the ids involved as attributes."""

from __future__ import annotations

from uuid import UUID


class DomainError(Exception):
    """A command broke a business rule."""


class CaseClosedError(DomainError):
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id} is closed; reopen it first")


class CaseAlreadyOpenError(DomainError):
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id} is already open")


class InvalidChannelError(DomainError):
    def __init__(self, channel: str) -> None:
        self.channel = channel
        super().__init__(f"unknown channel {channel!r}")


class InvalidRoleError(DomainError):
    def __init__(self, role: str) -> None:
        self.role = role
        super().__init__(f"unknown role {role!r}")


class CaseErasedError(DomainError):
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id} was erased with its customer; it stays shut")
