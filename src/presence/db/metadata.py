"""Every table, for Alembic and for the test fixtures: import this, then use `Base.metadata`."""

from ..jobs import models as _jobs  # noqa: F401
from ..sources import models as _sources  # noqa: F401
from . import models as _registry  # noqa: F401
from .base import Base

metadata = Base.metadata
