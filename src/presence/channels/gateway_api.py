"""What a gateway kiosk sends the registry (*ours*): `POST /gateway/v1/kiosks/{id}/entries` with
`{"entries": [...]}`, the registrations it made, as soon as it made them or, when the link was down, all those
waiting, in their order. Each entry carries its kiosk's signature (`domain.gateway_entries`): that is the
kiosk's credential, so no token is needed; an entry that does not verify is refused, and nothing else happens.
The answer gives each entry's receipt number, or why it was refused, for the kiosk to show and to drop from its
queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ..domain.gateway_entries import Entry
from ..services.errors import NotFound
from ..services.registrations import gateway
from ..services.runtime import Runtime

PATH = "/gateway/v1/kiosks/{kiosk}/entries"
MAX_ENTRIES = 500  # a day offline on a busy site


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    counter: int = Field(ge=1, le=2**62)
    made_at: str = Field(max_length=40)
    workplace: str = Field(max_length=13)
    inss: str | None = Field(None, max_length=11)
    limosa_id: str | None = Field(None, max_length=17)
    enterprise: str | None = Field(None, max_length=20)
    previous: str = Field(max_length=64)
    signature: str = Field(max_length=200)


class EntriesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[EntryIn] = Field(min_length=1, max_length=MAX_ENTRIES)


def router(runtime: Runtime) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.post(PATH)
    async def receive(kiosk: Annotated[int, Path(ge=1, le=2**62)], request: Request) -> JSONResponse:
        try:
            body = EntriesIn.model_validate_json(await request.body())
        except ValidationError as error:  # named by field only: an entry holds national numbers
            return JSONResponse({"error": "the entries are malformed",
                                 "fields": sorted({".".join(str(part) for part in e["loc"]) for e in error.errors()})},
                                status_code=400)
        entries = [Entry(**item.model_dump()) for item in body.entries]
        try:
            results = await run_in_threadpool(gateway.receive, runtime, kiosk, entries)
        except NotFound:
            return JSONResponse({"error": "no kiosk has this number"}, status_code=404)
        return JSONResponse({"results": [{"counter": r.counter, "receipt": r.receipt, "refused": r.refused}
                                         for r in results]})

    return routes
