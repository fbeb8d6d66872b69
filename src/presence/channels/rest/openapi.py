"""The OpenAPI document of the REST service: FastAPI's, from this sub-application's routes only, with the problem
schemas, without FastAPI's 422 answers (validation failures are 400 problems here)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from . import schemas


def document(app: FastAPI, base: str) -> dict:
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                       servers=[{"url": base}])
    components = spec.setdefault("components", {})
    found = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        found.pop(name, None)
    problem = schemas.Problem.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True,
                                                mode="serialization")
    found.update(problem.pop("$defs", {}))
    found["Problem"] = problem
    for path in spec.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
    spec["security"] = [{"bearer": []}]
    app.openapi_schema = spec
    return spec
