"""Audit events: who changed what, when, through which channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..db.bulk import bulk_insert
from ..db.models import AuditEvent
from ..domain.visibility import Caller


def record(session: Session, caller: Caller, channel: str, action: str, subject_type: str, subject_ids: list,
           now: datetime, details: dict | None = None) -> None:
    bulk_insert(
        session,
        AuditEvent.__table__,
        [{
            "occurred_at": now,
            "actor_kind": str(caller.kind),
            # Who: the account (web service, user) when the channel knows it; else the person or enterprise.
            "actor_id": caller.sender_id or caller.inss or caller.enterprise,
            "actor_enterprise": caller.enterprise,
            "channel": channel,
            "action": action,
            "subject_type": subject_type,
            "subject_ids": list(subject_ids),
            "details": details or {},
        }],
    )
