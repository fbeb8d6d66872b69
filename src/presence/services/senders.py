"""Enterprises' sender (expeditor) numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.bulk import insert_new
from ..db.models import Sender


def sender_number(session: Session, enterprise: str, now: datetime) -> int:
    """The enterprise's sender number, given at its first use and never changed (two first uses at once
    get the same number: the insert does nothing if the other one won)."""
    number = session.scalar(select(Sender.number).where(Sender.enterprise == enterprise))
    if number is None:
        insert_new(session, Sender.__table__, {"enterprise": enterprise, "created_at": now}, ["enterprise"])
        number = session.scalar(select(Sender.number).where(Sender.enterprise == enterprise))
    return number


def client_id(number: int) -> str:
    """The OAuth client id of an enterprise's web-service account."""
    return f"self_service_expeditor_{number}"
