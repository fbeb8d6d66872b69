"""Failures of a whole request (per-item failures are `domain.errors.ItemError`s in the results)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: the message is safe to show to the caller (never a personal number)."""


class NotAllowed(ServiceError):
    """The caller may not do this at all (e.g. a consultant registering, an inspector cancelling)."""


class NotFound(ServiceError):
    pass


class InvalidRequest(ServiceError):
    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
