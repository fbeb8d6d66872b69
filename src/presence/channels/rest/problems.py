"""Failures as RFC 9457 `application/problem+json`, Belgif style. Never a stack trace, never a personal number."""

from __future__ import annotations

import math

from fastapi.responses import JSONResponse

from ..http.requests import current_id

PROBLEM_TYPE = "application/problem+json"
BAD_REQUEST = "urn:problem-type:belgif:badRequest"
INVALID_TOKEN = "urn:problem-type:belgif:invalidAccessToken"
MISSING_PERMISSION = "urn:problem-type:belgif:missingPermission"
NOT_FOUND = "urn:problem-type:belgif:resourceNotFound"
INTERNAL = "urn:problem-type:belgif:internalServerError"
METHOD_NOT_ALLOWED = "urn:problem-type:belgif:methodNotAllowed"
TOO_MANY_REQUESTS = "urn:problem-type:belgif:tooManyRequests"
# Ours (Belgif: a custom type in the organisation's namespace).
CONFLICT = "urn:problem-type:presence:conflict"
PAYLOAD_TOO_LARGE = "urn:problem-type:presence:payloadTooLarge"
UNSUPPORTED_MEDIA_TYPE = "urn:problem-type:presence:unsupportedMediaType"

SCHEMA_VIOLATION = "urn:problem-type:belgif:input-validation:schemaViolation"
INVALID_INPUT = "urn:problem-type:belgif:input-validation:invalidInput"

# Values never echoed in issues.
PERSONAL = ("ssin",)


class Problem(Exception):
    """Raised by the handlers; rendered by `response`."""

    def __init__(self, status: int, type_: str, title: str, detail: str | None = None,
                 issues: list[dict] | None = None, headers: dict | None = None, **extra) -> None:
        super().__init__(detail or title)
        self.status, self.type, self.title, self.detail = status, type_, title, detail
        self.issues, self.headers, self.extra = issues, headers, extra

    def body(self) -> dict:
        body = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        if self.issues:
            body["issues"] = self.issues
        request_id = current_id()
        if request_id:  # to quote to the service desk: the same id is in our log lines
            body["requestId"] = request_id
        return body


def response(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body(), status_code=problem.status, media_type=PROBLEM_TYPE,
                        headers=problem.headers)


def issue(detail: str, in_: str, name: str | None, value=None, type_: str = INVALID_INPUT,
          title: str = "Invalid input") -> dict:
    item = {"type": type_, "title": title, "detail": detail, "in": in_}
    if name:
        item["name"] = name
        if _echoable(value) and not _personal(name):
            item["value"] = value if not isinstance(value, str) else value[:100]
    return item


def _echoable(value) -> bool:
    """A value that JSON can carry back: not NaN nor ±Infinity, no lone surrogate."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    return isinstance(value, (int, bool))


def _personal(name: str) -> bool:
    last = name.rsplit(".", 1)[-1].split("[", 1)[0]
    return last in PERSONAL


def bad_request(issues: list[dict], detail: str = "The input message is incorrect") -> Problem:
    return Problem(400, BAD_REQUEST, "Bad Request", detail, issues)


def invalid_token(detail: str) -> Problem:
    return Problem(401, INVALID_TOKEN, "Invalid Access Token", detail,
                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def missing_permission(detail: str) -> Problem:
    return Problem(403, MISSING_PERMISSION, "Missing Permission", detail)


def not_found(detail: str) -> Problem:
    return Problem(404, NOT_FOUND, "Resource Not Found", detail)


def conflict(detail: str, error_code: str) -> Problem:
    return Problem(409, CONFLICT, "Conflict", detail, errorCode=error_code)


def payload_too_large(limit: int, advice: str = "") -> Problem:
    return Problem(413, PAYLOAD_TOO_LARGE, "Payload Too Large",
                   f"the request body is larger than {limit} bytes" + (f"; {advice}" if advice else ""))


def unsupported_media_type() -> Problem:
    return Problem(415, UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type",
                   "the request body must be JSON: send it with Content-Type: application/json")


def too_many_requests(retry_after: int) -> Problem:
    return Problem(429, TOO_MANY_REQUESTS, "Too Many Requests",
                   f"too many requests from this client; retry after {retry_after} s",
                   headers={"Retry-After": str(retry_after)})


def location(loc: tuple) -> tuple[str, str]:
    """A pydantic error location as (`in`, name): ("body", "items", 3, "ssin") → ("body", "items[3].ssin")."""
    if not loc:
        return "body", ""
    where = str(loc[0]) if loc[0] in ("body", "query", "path", "header") else "body"
    rest = loc[1:] if loc[0] in ("body", "query", "path", "header") else loc
    name = ""
    for part in rest:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += ("." if name else "") + str(part)
    return where, name


def from_validation(errors) -> Problem:
    issues = []
    for error in errors:
        where, name = location(tuple(error.get("loc", ())))
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "json_invalid":
            message, name = "the body is not valid JSON", ""
        issues.append(issue(message, where, name, error.get("input"), SCHEMA_VIOLATION, "Input isn't valid with "
                                                                                         "respect to schema"))
    return bad_request(issues[:50])
