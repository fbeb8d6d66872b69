"""Audit events: who changed what, when, through which channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..db.models import AuditEvent
from ..domain.visibility import Caller


def record(session: Session, caller: Caller, channel: str, action: str, subject_type: str, subject_ids: list,
           now: datetime, details: dict | None = None) -> None:
    session.execute(
        AuditEvent.__table__.insert(),
        [{
            "occurred_at": now,
            "actor_kind": str(caller.kind),
            # A person acting for himself is identified by his account, not his INSS.
            "actor_id": caller.sender_id,
            "actor_enterprise": caller.enterprise,
            "channel": channel,
            "action": action,
            "subject_type": subject_type,
            "subject_ids": list(subject_ids),
            "details": details or {},
        }],
    )
