"""The running registry as the services see it (`Runtime`): one per process and database, built by `app.py`, the
CLI and the worker, and by tests with a controlled clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..clock import Clock, SystemClock
from ..config import Environment
from ..db.engine import Database


@dataclass
class Runtime:
    """What every service needs: the database, the clock (injected, so tests control time) and the environment
    (simulation or production)."""

    db: Database
    clock: Clock = field(default_factory=SystemClock)
    environment: Environment = Environment.SIMULATION
