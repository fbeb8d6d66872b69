"""Schemathesis against the REST service's own OpenAPI document, over real HTTP with a valid bearer token, on
SQLite and PostgreSQL: no server error, no undocumented status code, content type or header, no answer that
breaks its schema, and invalid input refused.

Schemathesis' pytest integration (`from_fixture`) does not run under pytest 9.2 (it sets `Function._nodeid`), so
the test drives its Python API: each operation's Hypothesis strategy, positive then negative, a bounded number of
examples each, derandomized and without an example database, so that CI is deterministic and writes nothing."""

from __future__ import annotations

import os
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from presence.domain import scopes

from ...helpers import CLIENT, EMPLOYER, run_checks
from .test_routes import BASE, Api, item, register, token

# Per operation and generation mode; PRESENCE_FUZZ_EXAMPLES=500 for a longer hunt on a workstation.
MAX_EXAMPLES = int(os.environ.get("PRESENCE_FUZZ_EXAMPLES", "30"))

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.negative_data_rejection,
]

SETTINGS = settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    print_blob=False)

OPERATIONS = {
    "POST /presenceRegistrations/registerInBulk", "GET /presenceRegistrations/{id}",
    "POST /presenceRegistrations/search", "POST /presenceRegistrations/{id}/cancel", "GET /refData/remarks",
    "GET /refData/remarks/{code}", "GET /refData/activities", "GET /refData/activities/{code}",
}

CALLERS = {"enterprise": (scopes.REST_ENTERPRISE, EMPLOYER), "professional": (scopes.REST_PROFESSIONAL, CLIENT)}


def fuzz(operation, mode, statuses: Counter) -> None:
    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call_and_validate(checks=CHECKS, timeout=30)
        statuses[str(response.status_code)] += 1

    run()


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_the_service_keeps_its_openapi_document(server, runtime, clock, caller):
    # A shift (in, break, in, out) with its remarks and validity, so that answers carry whole presences: the
    # generated ids are small numbers, and these are the first registrations of the demo dataset.
    registrar = Api(server, token(server, runtime, clock, scopes.REST_ENTERPRISE))
    register(registrar, *(item(clock, kind, ago=timedelta(minutes=minutes))
                          for kind, minutes in (("in", 9), ("out", 6), ("in", 3), ("out", 0))))
    run_checks(runtime)
    scope, enterprise = CALLERS[caller]
    headers = registrar.headers if scope == scopes.REST_ENTERPRISE else \
        {"Authorization": f"Bearer {token(server, runtime, clock, scope, enterprise)}"}
    config = schemathesis.Config.from_dict({
        # The token is sent with every request; schemathesis generates no other (nor a missing) Authorization.
        "headers": headers,
        "generation": {"with-security-parameters": False},
    })
    schema = schemathesis.openapi.from_url(server + BASE + "/openapi.json", config=config, timeout=30)
    failures, seen = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        # An operation without parameters nor body (the catalogues) has no invalid input to generate.
        modes = [GenerationMode.POSITIVE]
        if list(operation.iter_parameters()) or list(operation.body):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            label = f"{operation.label} ({mode.value})"
            seen[label] = Counter()
            try:
                fuzz(operation, mode, seen[label])
            except (AssertionError, BaseExceptionGroup) as failure:  # every operation is tried; all failures shown
                failures.append(f"--- {label}:\n{failure}")
    print("\n".join(f"{label}: {dict(sorted(statuses.items()))}" for label, statuses in seen.items()))
    assert not failures, "\n\n".join(failures)
    assert {label.split(" (")[0] for label in seen} >= OPERATIONS
    # Generated requests got through to the services: the document states the shape rules the service applies.
    assert all(statuses for statuses in seen.values()), seen
    if caller == "enterprise":
        assert seen["POST /presenceRegistrations/registerInBulk (positive)"]["200"] > MAX_EXAMPLES // 2, seen
        assert seen["GET /presenceRegistrations/{id} (positive)"]["200"] > 0, seen
    assert seen["POST /presenceRegistrations/search (positive)"]["200"] > 0, seen
