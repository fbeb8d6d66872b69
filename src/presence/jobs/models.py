from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db.base import Base, BigId, Json, UTCDateTime


class JobState:
    READY = "ready"
    RUNNING = "running"  # claimed; `lease_until` says until when the claim holds
    DONE = "done"
    DEAD = "dead"  # failed `max_attempts` times: a dead letter, for an operator to look at


class Job(Base):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(8), default=JobState.READY)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=6)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(40))  # who holds the current claim
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # The claim query reads only unfinished jobs.
        Index("ix_job_claimable", "state", "run_after"),
    )
