"""Channel management in the browser (the official "Chaman"): the technical manager of the enterprise a person
acts for creates its web-service account with a first certificate, reads its client id, rolls certificates over,
revokes them, changes the permissions, revokes the account; the page says where the token endpoint, the WSDL
and the OpenAPI document are, with a ready-to-run example of a token request. The services are those of the
command line (`services.access.accounts`, `services.access.certificates`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ... import i18n
from ...auth import client_assertions
from ...config import get_settings
from ...domain import scopes as scope_rules
from ...domain.channels import Channel
from ...domain.visibility import may_manage_channels
from ...services.access import accounts, certificates
from ...services.errors import InvalidRequest, NotAllowed, NotFound
from .. import declarations_api, rest
from ..soap import service as soap_service
from .pages import Forbidden, FormExpired, Visitor, form_of, page, person, redirect, visitor

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/enterprise/web-services"
MAX_CERTIFICATE_BYTES = 64 * 1024  # a certificate is a few kilobytes
SCOPE_NAMES = {
    scope_rules.REST_ENTERPRISE: i18n.lazy("Check In and Out at Work (REST, cleaning): register, cancel and consult"),
    scope_rules.REST_PROFESSIONAL: i18n.lazy("Check In and Out at Work (REST, cleaning): consult only"),
    scope_rules.SOAP: i18n.lazy("Checkinatwork (SOAP, construction and meat): register, cancel and consult"),
    scope_rules.DECLARATIONS: i18n.lazy("Work declarations (JSON API): declare, change and consult"),
}
DONE = {
    "created": i18n.lazy("The web-service account is created."),
    "added": i18n.lazy("The certificate is added: both work until you revoke the old one."),
    "certificate-revoked": i18n.lazy("The certificate is revoked: it no longer signs anything."),
    "scopes": i18n.lazy("The permissions are changed."),
    "revoked": i18n.lazy("The web-service account is revoked, with its certificates and its tokens."),
}
# The JWS algorithm a certificate's key signs the token request with, as the example shows it.
ALGORITHMS = {"RSA": ("RS256", "RSAKey"), "EC secp384r1": ("ES384", "ECKey"), "EC secp521r1": ("ES512", "ECKey")}


def _manager(visitor: Visitor):
    _, caller = person(visitor)
    enterprise = visitor.enterprise
    if enterprise is None or not may_manage_channels(caller, enterprise.enterprise):
        raise Forbidden(visitor, i18n.gettext("Only the technical managers of an enterprise manage its web-service "
                                              "accounts. Choose the enterprise you act for on your account page."))
    return caller, enterprise


def _base_url(visitor: Visitor) -> str:
    return (get_settings().public_url or str(visitor.request.base_url)).rstrip("/")


def _example(account, base: str) -> dict | None:
    """The token request's example for the account's newest active certificate's key."""
    active = [c for c in account.certificates if c.revoked_at is None]
    if not active:
        return None
    key = active[-1].key
    algorithm, key_class = ALGORITHMS.get("RSA" if key.startswith("RSA") else key, ALGORITHMS["RSA"])
    return {"algorithm": algorithm, "key_class": key_class, "client_id": account.client_id,
            "token_url": base + client_assertions.TOKEN_PATH}


def _page(visitor: Visitor, errors: dict | None = None, values: dict | None = None, done: str | None = None,
          status: int = 200) -> Response:
    caller, enterprise = _manager(visitor)
    listed = accounts.list_accounts(visitor.runtime, caller, enterprise.enterprise)
    account = next((a for a in listed if a.revoked_at is None), None)
    base = _base_url(visitor)
    now = visitor.runtime.clock.now()
    return page(visitor, "web_services.html", status, title=i18n.gettext("Web services"), enterprise=enterprise,
                account=account, revoked=[a for a in listed if a.revoked_at is not None],
                states={c.fingerprint: str(c.state(now)) for a in listed for c in a.certificates},
                scopes=[(scope, i18n.gettext(SCOPE_NAMES[scope])) for scope in scope_rules.SCOPES],
                example=_example(account, base) if account else None,
                links={"token": base + client_assertions.TOKEN_PATH, "wsdl": f"{base}{soap_service.PATH}?wsdl",
                       "openapi": f"{base}{rest.BASE}/openapi.json",
                       "declarations": f"{base}{declarations_api.BASE}/openapi.json"},
                errors=errors or {}, values=values or {}, done=i18n.gettext(DONE[done]) if done in DONE else None)


async def _certificate_upload(visitor: Visitor) -> tuple[dict[str, str], list[str], bytes | None, str]:
    """The form, once its CSRF token is checked: its fields, the scopes ticked, and the uploaded certificate with
    its file name (None when no file was chosen)."""
    async with visitor.request.form(max_files=1, max_fields=20) as data:
        fields = {key: value for key, value in data.items() if isinstance(value, str)}
        if not visitor.csrf_valid(fields.get("csrf")):
            raise FormExpired(visitor)
        scopes = [value for value in data.getlist("scope") if isinstance(value, str)]
        upload = data.get("certificate")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return fields, scopes, None, ""
        return fields, scopes, await upload.read(MAX_CERTIFICATE_BYTES + 1), upload.filename


def _sentence(message: str) -> str:
    """A service's refusal as the page shows it: a sentence, starting with a capital."""
    return message[:1].upper() + message[1:]


def _too_large(content: bytes | None) -> dict:
    if content is not None and len(content) > MAX_CERTIFICATE_BYTES:
        return {"certificate": i18n.gettext("The file is too large for a certificate (at most 64 KB): choose the "
                                            "certificate's .pem or .der file, never a bundle or an archive.")}
    return {}


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(PATH)
    def web_services(visitor: VisitorDep, done: str | None = None) -> Response:
        return _page(visitor, done=done)

    @routes.post(PATH + "/account")
    async def create(visitor: VisitorDep) -> Response:
        caller, enterprise = _manager(visitor)
        form, scopes, content, filename = await _certificate_upload(visitor)
        values = {"name": form.get("name", ""), "certificate_name": form.get("certificate_name", ""),
                  "scopes": scopes}
        errors = _too_large(content)
        if content is None:
            errors["certificate"] = i18n.gettext("Choose the certificate's file (PEM or DER).")
        if not errors:
            name = values["certificate_name"].strip() or certificates.default_name(content, filename)
            try:
                await run_in_threadpool(accounts.create_account, visitor.runtime, caller, enterprise.enterprise,
                                        values["name"], content, name, scopes, channel=Channel.ONLINE)
            except InvalidRequest as refusal:
                errors[refusal.field if refusal.field in ("name", "scope") else "certificate"] = _sentence(str(refusal))
        if errors:
            return await run_in_threadpool(_page, visitor, errors, values, None, 400)
        return redirect(visitor, PATH + "?done=created")

    @routes.post(PATH + "/certificates")
    async def add_certificate(visitor: VisitorDep) -> Response:
        caller, enterprise = _manager(visitor)
        form, _, content, filename = await _certificate_upload(visitor)
        errors = _too_large(content)
        if content is None:
            errors["certificate"] = i18n.gettext("Choose the certificate's file (PEM or DER).")
        if not errors:
            name = form.get("certificate_name", "").strip() or certificates.default_name(content, filename)
            try:
                await run_in_threadpool(accounts.add_certificate, visitor.runtime, caller, form.get("client_id", ""),
                                        content, name, channel=Channel.ONLINE)
            except InvalidRequest as refusal:
                errors["certificate"] = _sentence(str(refusal))
            except NotFound:
                return redirect(visitor, PATH)  # revoked meanwhile: the page shows it
        if errors:
            return await run_in_threadpool(_page, visitor, errors, {"certificate_name": form.get("certificate_name")},
                                           None, 400)
        return redirect(visitor, PATH + "?done=added")

    @routes.post(PATH + "/certificates/revoke")
    async def revoke_certificate(visitor: VisitorDep) -> Response:
        caller, enterprise = _manager(visitor)
        form = await form_of(visitor)
        try:
            await run_in_threadpool(certificates.revoke_certificate, visitor.runtime, caller,
                                    form.get("fingerprint", ""), channel=Channel.ONLINE)
        except (NotFound, InvalidRequest):
            return redirect(visitor, PATH)
        except NotAllowed as refusal:
            raise Forbidden(visitor, str(refusal)) from None
        return redirect(visitor, PATH + "?done=certificate-revoked")

    @routes.post(PATH + "/scopes")
    async def change_scopes(visitor: VisitorDep) -> Response:
        caller, enterprise = _manager(visitor)
        form, scopes, _, _ = await _certificate_upload(visitor)
        try:
            await run_in_threadpool(accounts.change_scopes, visitor.runtime, caller, form.get("client_id", ""),
                                    scopes, channel=Channel.ONLINE)
        except InvalidRequest as refusal:
            return await run_in_threadpool(_page, visitor, {"scope": _sentence(str(refusal))}, {"scopes": scopes},
                                           None, 400)
        except NotFound:
            return redirect(visitor, PATH)
        return redirect(visitor, PATH + "?done=scopes")

    @routes.post(PATH + "/account/revoke")
    async def revoke_account(visitor: VisitorDep) -> Response:
        caller, enterprise = _manager(visitor)
        form = await form_of(visitor)
        try:
            await run_in_threadpool(accounts.revoke_account, visitor.runtime, caller, form.get("client_id", ""),
                                    channel=Channel.ONLINE)
        except NotFound:
            return redirect(visitor, PATH)
        return redirect(visitor, PATH + "?done=revoked")

    return routes
