"""The kiosk program against the registry served over real HTTP on the personas' dataset (both engines): a
registry that can be stopped and started again on the same address, as when the site's link goes down."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta

import pytest

from presence.app import create_app
from presence.channels.http.ratelimit import Limits
from presence.domain.visibility import Caller, Role
from presence.services.declarations import declaring
from presence.sources.simulation import (
    PUBLIC_ENTERPRISE,
    SCENARIO_BUILDER,
    _scenario_foreign,
    _scenario_inss,
    _scenario_limosa,
    _scenario_workplace,
    crew_inss,
)
from tests.channels.conftest import serving

# The site of the kiosk tests: works declared by Scenario Hoofdaannemer NV (the `contractor` persona's
# enterprise), with a foreign subcontractor whose posted worker has a Limosa declaration in force; Exemplum
# Construct SA is added as a second subcontractor, so that its crew (with Dimonas) is covered there.
WORKPLACE = _scenario_workplace(10)
POSTED_LIMOSA = _scenario_limosa(10)
FOREIGN_SUBCONTRACTOR = _scenario_foreign(10)
COVERED = crew_inss(1)  # a Dimona at Exemplum Construct SA
CARD_HOLDER = crew_inss(2)
NO_DIMONA = _scenario_inss(3)  # known to the national register, no Dimona anywhere
CONTRACTOR = Caller.enterprise_account(SCENARIO_BUILDER, (Role.DECLARANT, Role.REGISTRAR), sender_id="user:0",
                                       user_type="PERSON")


class Registry:
    """The registry on a fixed loopback port, stopped and started again at will."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self._stack: ExitStack | None = None
        self.port = 0
        self.url = ""

    def start(self) -> None:
        self._stack = ExitStack()
        self.url = self._stack.enter_context(serving(create_app(self.runtime, limits=Limits.none()), self.port))
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None


@pytest.fixture
def registry(people_runtime):
    running = Registry(people_runtime)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def site(people_runtime):
    """The kiosk tests' workplace, with Exemplum Construct SA as a subcontractor since ten days."""
    today = people_runtime.clock.now().date()
    declaring.add_subcontractor(people_runtime, CONTRACTOR, WORKPLACE,
                                declaring.Subcontractor(PUBLIC_ENTERPRISE, SCENARIO_BUILDER,
                                                        today - timedelta(days=10)))
    return WORKPLACE
