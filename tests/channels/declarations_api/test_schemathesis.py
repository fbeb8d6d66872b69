"""Schemathesis against the work declarations API's own OpenAPI document, over real HTTP with a declarant's
bearer token, on SQLite and PostgreSQL: no server error, no undocumented status, content type or header, no answer
that breaks its schema, invalid input refused (the REST service's test, `fuzz`, on this document)."""

from __future__ import annotations

from collections import Counter

import schemathesis
from schemathesis import GenerationMode

from ..rest.test_schemathesis import fuzz
from .test_routes import BASE, CONTRACTOR, api, works


def test_the_api_keeps_its_openapi_document(server, runtime, clock):
    contractor = api(server, runtime, clock, CONTRACTOR)
    assert contractor.post("/declarations", json=works()).status_code == 201
    config = schemathesis.Config.from_dict({"headers": {"Authorization": contractor.headers["Authorization"]},
                                            "generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_url(server + BASE + "/openapi.json", config=config, timeout=30)
    failures, seen = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{operation.label} ({mode.value})"
            seen[label] = Counter()
            try:
                fuzz(operation, mode, seen[label])
            except (AssertionError, BaseExceptionGroup) as failure:  # every operation is tried; all failures shown
                failures.append(f"--- {label}:\n{failure}")
    print("\n".join(f"{label}: {dict(sorted(statuses.items()))}" for label, statuses in seen.items()))
    assert not failures, "\n\n".join(failures)
    assert len({label.split(" (")[0] for label in seen}) == 7
    assert seen["GET /declarations (positive)"]["200"] > 0, seen
    # Generated declarations got through to the service, which refused their content field by field.
    assert seen["POST /declarations (positive)"]["400"] > 0, seen
