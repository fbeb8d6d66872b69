"""The work declarations API's operations: thin over `services.declarations.declaring`, which decides who may do
what and checks everything. A declaration one may not see is answered as one that does not exist (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ...domain.scopes import DECLARATIONS_SCOPES
from ...domain.sectors import Sector
from ...domain.visibility import Caller
from ...services.declarations import declaring
from ..rest import problems
from ..rest.dependencies import BearerToken, RuntimeDep, acting, problem_responses
from . import schemas

SECTORS = {"construction": Sector.CONSTRUCTION, "meat": Sector.MEAT, "cleaning": Sector.CLEANING}
SECTOR_NAMES = {sector: name for name, sector in SECTORS.items()}

router = APIRouter()
# A declaration's number (13 characters here; imported ones may differ) and an enterprise's, in a path.
Number = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z]+$")]
EnterpriseNumber = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z.]+$")]


async def _declarant(request: Request, _: BearerToken) -> Caller:
    return acting(request, DECLARATIONS_SCOPES)


Declarant = Annotated[Caller, Depends(_declarant)]


def _view(request: Request, found: declaring.DeclarationView) -> schemas.DeclarationOut:
    root = str(request.base_url).rstrip("/").removesuffix(request.scope.get("root_path", "")).rstrip("/")
    latitude, longitude = found.position or (None, None)
    return schemas.DeclarationOut(
        number=found.number, url=f"{root}/w/{found.number}", poster=f"{root}/w/{found.number}/poster.pdf",
        sector=SECTOR_NAMES.get(found.sector, "construction"),
        client=schemas.EnterpriseOut(enterprise_number=found.client, name=found.client_name),
        declaring_contractor=schemas.EnterpriseOut(enterprise_number=found.declaring_contractor,
                                                   name=found.names.get(found.declaring_contractor)),
        workplace=schemas.PlaceOut(address=found.address, latitude=latitude, longitude=longitude),
        description=found.description, start_date=found.starts_on, end_date=found.ends_on, amount=found.amount_eur,
        subject_to_registration=found.subject_to_registration, origin=found.origin, cancelled=found.cancelled,
        actors=[schemas.ActorOut(role=a.role, name=a.name, enterprise_number=a.enterprise) for a in found.actors],
        subcontractors=[schemas.SubcontractorOut(
            enterprise_number=s.enterprise, name=found.names.get(s.enterprise), principal=s.principal,
            start_date=s.starts_on, end_date=s.ends_on, activities=s.activities, amount=s.amount_eur)
            for s in found.subcontractors],
        history=[schemas.RevisionOut(changed_at=r.changed_at, change=r.change, actor=r.actor, details=r.details)
                 for r in found.revisions])


# The service's names of a declaration's fields, as this API names them.
_FIELDS = {"client": "client.enterpriseNumber", "client_name": "client.name", "street": "workplace.street",
           "house_number": "workplace.houseNumber", "post_code": "workplace.postCode",
           "municipality": "workplace.municipality", "latitude": "workplace.latitude", "starts_on": "startDate",
           "ends_on": "endDate", "amount": "amount", "enterprise": "enterpriseNumber", "principal": "principal",
           "subcontractors": "subcontractors", "actors": "actors"}


def _name(field: str, prefix: str = "") -> str:
    """`subcontractors.3.starts_on` → `subcontractors[3].startDate`; `actors.0.enterprise` →
    `actors[0].enterpriseNumber`."""
    parts = field.split(".")
    if parts[0] in ("subcontractors", "actors") and len(parts) > 1 and parts[1].isdigit():
        rest = ".".join(parts[2:])
        return f"{parts[0]}[{parts[1]}]" + (f".{_FIELDS.get(rest, rest)}" if rest else "")
    return prefix + _FIELDS.get(field, field)


def refused(error: declaring.DeclarationRefused, prefix: str = "") -> problems.Problem:
    return problems.bad_request([problems.issue(why, "body", _name(field, prefix))
                                 for field, why in error.problems.items()],
                                "The declaration is refused: each issue names a field and what is wrong with it")


def _seen(runtime, caller: Caller, request: Request, number: Number) -> schemas.DeclarationOut:
    return _view(request, declaring.declaration_of(runtime, caller, number))


@router.get("/declarations", operation_id="listDeclarations", response_model=schemas.DeclarationList,
            response_model_by_alias=True, responses=problem_responses(400, 401, 403))
def listing(caller: Declarant, runtime: RuntimeDep,
            q: Annotated[str, Query(max_length=100, pattern=r"^[^\x00]*$",
                                    description="A number, post code, or a word of the address or the client's "
                                                "name")] = "",
            limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> schemas.DeclarationList:
    """The declarations in force the caller's enterprise sees (as declaring contractor, client or subcontractor),
    newest first."""
    return schemas.DeclarationList(items=[schemas.ListedOut(
        number=d.number, sector=SECTOR_NAMES.get(d.sector, "construction"), address=d.address,
        client_name=d.client_name, start_date=d.starts_on, end_date=d.ends_on, amount=d.amount_eur,
        subject_to_registration=d.subject_to_registration, role=d.as_what)
        for d in declaring.declarations_of(runtime, caller, q, limit)])


@router.post("/declarations", operation_id="declare", status_code=201, response_model=schemas.DeclarationOut,
             response_model_by_alias=True, responses=problem_responses(400, 401, 403, 413, 415))
async def declare(caller: Declarant, runtime: RuntimeDep, body: schemas.NewDeclaration, request: Request,
                  response: Response) -> schemas.DeclarationOut:
    """Declare works for the caller's enterprise, with its tree of subcontractors. Every problem is named at
    once, and nothing is stored then."""
    data = declaring.Declaration(
        sector=SECTORS[body.sector], client=body.client.enterprise_number, client_name=body.client.name,
        street=body.workplace.street, house_number=body.workplace.house_number, post_code=body.workplace.post_code,
        municipality=body.workplace.municipality, starts_on=body.start_date, ends_on=body.end_date,
        amount_eur=body.amount, description=body.description, contact_name=body.contact.name,
        contact_email=body.contact.email, contact_phone=body.contact.phone, latitude=body.workplace.latitude,
        longitude=body.workplace.longitude, locate=body.workplace.locate,
        actors=tuple(declaring.Actor(a.role, a.name, a.enterprise_number) for a in body.actors),
        subcontractors=tuple(declaring.Subcontractor(s.enterprise_number, s.principal, s.start_date, s.end_date,
                                                     s.activities, s.amount) for s in body.subcontractors))
    try:
        number = await run_in_threadpool(declaring.declare, runtime, caller, data)
    except declaring.DeclarationRefused as error:
        raise refused(error) from None
    response.headers["Location"] = f"{request.scope.get('root_path', '')}/declarations/{number}"
    return await run_in_threadpool(_seen, runtime, caller, request, number)


@router.get("/declarations/{number}", operation_id="getDeclaration", response_model=schemas.DeclarationOut,
            response_model_by_alias=True, responses=problem_responses(400, 401, 403, 404))
def get_declaration(caller: Declarant, runtime: RuntimeDep, number: Number,
                    request: Request) -> schemas.DeclarationOut:
    """A declaration with its chain (a subcontractor sees its branch) and its history."""
    return _seen(runtime, caller, request, number)


@router.patch("/declarations/{number}", operation_id="changeDeclaration", response_model=schemas.DeclarationOut,
              response_model_by_alias=True, responses=problem_responses(400, 401, 403, 404, 413, 415))
def change(caller: Declarant, runtime: RuntimeDep, number: Number, body: schemas.TermsChange,
           request: Request) -> schemas.DeclarationOut:
    """Move the works' dates or change their amount: whether the workplace is subject to registration is decided
    again and its registrations are checked again."""
    now = declaring.declaration_of(runtime, caller, number)
    given = body.model_fields_set
    terms = declaring.Terms(body.start_date if "start_date" in given and body.start_date else now.starts_on,
                            body.end_date if "end_date" in given else now.ends_on,
                            body.amount if "amount" in given and body.amount is not None else now.amount_eur)
    try:
        declaring.change_terms(runtime, caller, number, terms)
    except declaring.DeclarationRefused as error:
        raise refused(error) from None
    return _seen(runtime, caller, request, number)


@router.post("/declarations/{number}/subcontractors", operation_id="declareSubcontractor", status_code=201,
             response_model=schemas.DeclarationOut, response_model_by_alias=True,
             responses=problem_responses(400, 401, 403, 404, 413, 415))
def add_subcontractor(caller: Declarant, runtime: RuntimeDep, number: Number, body: schemas.NewSubcontractor,
                      request: Request) -> schemas.DeclarationOut:
    """Declare a subcontractor: the declaring contractor anywhere in its chain, a subcontractor under itself."""
    try:
        declaring.add_subcontractor(runtime, caller, number, declaring.Subcontractor(
            body.enterprise_number, body.principal, body.start_date, body.end_date, body.activities,
            body.amount))
    except declaring.DeclarationRefused as error:
        raise refused(error) from None
    return _seen(runtime, caller, request, number)


@router.post("/declarations/{number}/subcontractors/{enterprise}/end", operation_id="endSubcontract",
             response_model=schemas.DeclarationOut, response_model_by_alias=True,
             responses=problem_responses(400, 401, 403, 404, 413, 415))
def end_subcontract(caller: Declarant, runtime: RuntimeDep, number: Number, enterprise: EnterpriseNumber,
                    body: schemas.SubcontractEnd, request: Request) -> schemas.DeclarationOut:
    """End a subcontract (by the declaring contractor or the subcontractor's principal); those under it end with
    it."""
    try:
        declaring.end_subcontractor(runtime, caller, number, enterprise, body.end_date)
    except declaring.DeclarationRefused as error:
        raise refused(error) from None
    return _seen(runtime, caller, request, number)


@router.post("/declarations/{number}/cancel", operation_id="cancelDeclaration", status_code=204,
             responses=problem_responses(400, 401, 403, 404))
def cancel(caller: Declarant, runtime: RuntimeDep, number: Number) -> Response:
    """Cancel a declaration: its workplace is then as undeclared for the checks."""
    declaring.cancel_declaration(runtime, caller, number)
    return Response(status_code=204)
