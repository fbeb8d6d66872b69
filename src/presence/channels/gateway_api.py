"""What a gateway kiosk asks the registry (*ours*), under `/gateway/v1/kiosks/{id}/`:

- `entries`, with `{"entries": [...], "cover": bool}`: the registrations it made, as soon as it made them or,
  when the link was down, all those waiting, in their order. Each entry carries its kiosk's signature
  (`domain.gateway_entries`): that is the kiosk's credential, so no token is needed; an entry that does not
  verify is refused, and nothing else happens. The answer gives each entry's receipt number, or why it was
  refused, for the kiosk to show and to drop from its queue; with `cover`, what covers the person today; and
  the last entry taken (`counter`, `digest`), which the kiosk's next entry follows.
- `state`, with `{"at", "signature"}`: its workplace, the enterprises on it, whether it is revoked, the last
  entry taken.
- `people`, with `{"at", "inss" or "limosa_id", "signature"}`: the name to show and the enterprises to offer.

The requests other than entries are signed with the kiosk's key over what they ask and when
(`sign_request`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.concurrency import run_in_threadpool

from ..domain.gateway_entries import Entry
from ..services.errors import NotAllowed, NotFound
from ..services.registrations import gateway
from ..services.runtime import Runtime

BASE = "/gateway/v1/kiosks/{kiosk}"
PATH = BASE + "/entries"
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
    cover: bool = False


class SignedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: str = Field(max_length=40)
    signature: str = Field(max_length=200)


class PersonIn(SignedIn):
    inss: str | None = Field(None, pattern=r"^[0-9]{11}$")
    limosa_id: str | None = Field(None, pattern=r"^[0-9]{17}$")

    @model_validator(mode="after")
    def one_of_them(self) -> PersonIn:
        if (self.inss is None) == (self.limosa_id is None):
            raise ValueError("a national number or a Limosa number, one of them")
        return self


def _malformed(error: ValidationError) -> JSONResponse:
    """Named by field only: an entry holds national numbers."""
    return JSONResponse({"error": "the request is malformed",
                         "fields": sorted({".".join(str(part) for part in e["loc"])
                                           or e["msg"].removeprefix("Value error, ") for e in error.errors()})},
                        status_code=400)


def _coverage(coverage: gateway.Coverage | None) -> dict | None:
    if coverage is None:
        return None
    return {"covered": coverage.covered, "declaration": coverage.declaration, "employment": coverage.employment,
            "already": coverage.already, "remarks": [str(code) for code in coverage.remarks]}


def router(runtime: Runtime) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.post(PATH)
    async def receive(kiosk: Annotated[int, Path(ge=1, le=2**62)], request: Request) -> JSONResponse:
        try:
            body = EntriesIn.model_validate_json(await request.body())
        except ValidationError as error:
            return _malformed(error)
        entries = [Entry(**item.model_dump()) for item in body.entries]
        try:
            results = await run_in_threadpool(gateway.receive, runtime, kiosk, entries, body.cover)
        except NotFound:
            return JSONResponse({"error": "no kiosk has this number"}, status_code=404)
        counter, digest = await run_in_threadpool(gateway.chain_head, runtime, kiosk)
        return JSONResponse({"results": [{"counter": r.counter, "receipt": r.receipt, "refused": r.refused,
                                          "coverage": _coverage(r.coverage)} for r in results],
                             "counter": counter, "digest": digest})

    async def signed(request: Request, model: type[SignedIn], ask) -> JSONResponse:
        """A signed request of a kiosk: parsed, asked of the service, and its refusals said as the others."""
        try:
            body = model.model_validate_json(await request.body())
            return JSONResponse(await run_in_threadpool(ask, body))
        except ValidationError as error:
            return _malformed(error)
        except NotFound:
            return JSONResponse({"error": "no kiosk has this number"}, status_code=404)
        except NotAllowed as refused:
            return JSONResponse({"error": str(refused)}, status_code=403)

    @routes.post(BASE + "/state")
    async def state(kiosk: Annotated[int, Path(ge=1, le=2**62)], request: Request) -> JSONResponse:
        def ask(body: SignedIn) -> dict:
            found = gateway.kiosk_state(runtime, kiosk, body.at, body.signature)
            device = found.device
            return {"kiosk": device.id, "name": device.name, "workplace": device.workplace,
                    "address": found.address, "enterprise": device.enterprise, "revoked": device.revoked_at is not None,
                    "counter": device.last_counter, "digest": found.last_digest,
                    "chain": [{"number": n, "name": name} for n, name in found.chain]}

        return await signed(request, SignedIn, ask)

    @routes.post(BASE + "/people")
    async def people(kiosk: Annotated[int, Path(ge=1, le=2**62)], request: Request) -> JSONResponse:
        def ask(body: PersonIn) -> dict:
            found = gateway.person_at_kiosk(runtime, kiosk, body.at, body.signature, body.inss, body.limosa_id)
            return {"found": found.found, "name": found.name,
                    "enterprises": [{"number": n, "name": name} for n, name in found.enterprises]}

        return await signed(request, PersonIn, ask)

    return routes
