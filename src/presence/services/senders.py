"""Enterprises' sender (expeditor) numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Sender


def sender_number(session: Session, enterprise: str, now: datetime) -> int:
    """The enterprise's sender number, given at its first use and never changed."""
    number = session.scalar(select(Sender.number).where(Sender.enterprise == enterprise))
    if number is None:
        sender = Sender(enterprise=enterprise, created_at=now)
        session.add(sender)
        session.flush()
        number = sender.number
    return number


def client_id(number: int) -> str:
    """The OAuth client id of an enterprise's web-service account."""
    return f"self_service_expeditor_{number}"
