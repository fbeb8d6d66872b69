"""Enterprises' sender (expeditor) numbers."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db.bulk import insert_new
from ...db.engine import Database
from ...db.models import Account, Sender

CLIENT_ID = re.compile(r"self_service_expeditor_([1-9][0-9]{0,9})")


def sender_number(session: Session, enterprise: str, now: datetime) -> int:
    """The enterprise's sender number, given at its first use and never changed (two first uses at once
    get the same number: the insert does nothing if the other one won)."""
    number = session.scalar(select(Sender.number).where(Sender.enterprise == enterprise))
    if number is None:
        insert_new(session, Sender.__table__, {"enterprise": enterprise, "created_at": now}, ["enterprise"])
        number = session.scalar(select(Sender.number).where(Sender.enterprise == enterprise))
    return number


def enterprise_sender_number(db: Database, enterprise: str, now: datetime) -> int:
    """`sender_number`, in a transaction of its own."""
    with db.writing() as session:
        return sender_number(session, enterprise, now)


def client_id(number: int) -> str:
    """The OAuth client id of an enterprise's web-service account."""
    return f"self_service_expeditor_{number}"


def sender_number_of(text: str) -> int | None:
    """N of a client id `self_service_expeditor_<N>`; None when the text is not one."""
    match = CLIENT_ID.fullmatch(text or "")
    return int(match.group(1)) if match else None


def find_active_account(session: Session, client: str) -> tuple[Account, int] | None:
    """The active web-service account of a client id, with its sender number."""
    number = sender_number_of(client)
    if number is None:
        return None
    found = session.execute(
        select(Account, Sender.number).join(Sender, Sender.enterprise == Account.enterprise)
        .where(Sender.number == number, Account.revoked_at.is_(None))
    ).first()
    return (found[0], found[1]) if found else None
