from __future__ import annotations

from dataclasses import dataclass, field

from ..clock import Clock, SystemClock
from ..config import Environment
from ..db.engine import Database


@dataclass
class Registry:
    """What every service needs: the database and the clock (injected, so tests control time)."""

    db: Database
    clock: Clock = field(default_factory=SystemClock)
    environment: Environment = Environment.SIMULATION
