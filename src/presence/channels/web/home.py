"""What a newcomer finds at `/`: which server this is, and where its contracts and documentation are.

`/readme` serves the README the package was installed with (its metadata), as HTML with an id on each
heading, so `/` can link to its sections.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.metadata import PackageNotFoundError, metadata
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markdown_it import MarkdownIt

from ... import __version__
from ...auth import client_assertions
from ...domain.visibility import may_manage_access, may_manage_channels
from ...services.runtime import Runtime
from .. import rest
from ..soap import service as soap_service
from .pages import Visitor, page, visitor

README_PATH = "/readme"
# Readable on a phone too: long lines of code and wide tables scroll within themselves, not the page.
_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;color:#1b1b1b;margin:0 auto;max-width:62rem;padding:1rem}"
          "pre,table{display:block;overflow-x:auto}pre{background:#f3f3f3;padding:.75rem}"
          "code{font-size:.9em}th,td{border:1px solid #bbb;padding:.25rem .5rem;vertical-align:top}"
          "table{border-collapse:collapse}a{color:#1d4f91}")


def slug(title: str) -> str:
    """A heading's anchor, as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).strip().replace(" ", "-")


@cache
def readme() -> tuple[str, tuple[tuple[int, str], ...]]:
    """The README as an HTML document, and its (level, title) headings of levels 2 and 3."""
    try:
        text = metadata("presence").get_payload() or ""
    except PackageNotFoundError:  # run from a source tree without installing
        text = ""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(text)
    headings = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[index + 1].content
            token.attrSet("id", slug(title))
            if token.tag in ("h2", "h3"):
                headings.append((int(token.tag[1]), title))
    body = parser.renderer.render(tokens, parser.options, {})
    document = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>presence: README</title>'
                f'<style>{_STYLE}</style></head>'
                f'<body><main>{body or "<p>No README was installed with this package.</p>"}</main></body></html>')
    return document, tuple(headings)


def router(runtime: Runtime) -> APIRouter:
    routes = APIRouter()

    @routes.get("/", include_in_schema=False, response_model=None)
    def home(request: Request, visitor: Annotated[Visitor, Depends(visitor)]) -> Response | dict:
        """A browser gets the start page; software, what this server is and where its documents are."""
        if "text/html" in request.headers.get("accept", ""):
            return start_page(visitor, request)
        base = str(request.base_url).rstrip("/")
        _, headings = readme()
        return {
            "service": "presence",
            "description": "Presence registration registry: Checkinatwork (construction, meat: SOAP) and Check In "
                           "and Out at Work (cleaning: REST).",
            "version": __version__,
            "environment": str(runtime.environment),
            "links": {
                "soap_endpoint": base + soap_service.PATH,
                "soap_wsdl": f"{base}{soap_service.PATH}?wsdl",
                "rest_base": base + rest.BASE,
                "rest_openapi": f"{base}{rest.BASE}/openapi.json",
                "oauth_token": base + client_assertions.TOKEN_PATH,
                "health": base + "/health",
                "readme": base + README_PATH,
            },
            "readme_sections": [{"title": title, "level": level, "url": f"{base}{README_PATH}#{slug(title)}"}
                                for level, title in headings],
        }

    @routes.get(README_PATH, include_in_schema=False, response_class=HTMLResponse)
    def readme_page() -> HTMLResponse:
        return HTMLResponse(readme()[0])

    return routes


def start_page(visitor: Visitor, request: Request) -> Response:
    caller, acting = visitor.caller, visitor.enterprise
    return page(visitor, "start.html", title=None,
                signed_out=request.query_params.get("signed_out") == "1",
                may_manage_access=bool(caller and acting and may_manage_access(caller, acting.enterprise)),
                may_manage_channels=bool(caller and acting and may_manage_channels(caller, acting.enterprise)),
                wsdl=f"{soap_service.PATH}?wsdl", openapi=f"{rest.BASE}/openapi.json")

