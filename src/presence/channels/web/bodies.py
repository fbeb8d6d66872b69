"""How large a page's form may be: a photo of a code or a supporting document up to `FILE_LIMIT`, any other form
`FORM_LIMIT`. Refused before the body is stored anywhere (Starlette would spool any file to disk first): at
once when its length is declared, else as soon as the bytes read pass the cap. The machine channels (SOAP, REST,
the declarations API, the token endpoint) have limits of their own."""

from __future__ import annotations

from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..http.bodies import BodyLimit

FORM_LIMIT = 1024 * 1024
# The forms that carry files end so: a photo of a code (10 MB), a correction's documents (5 of 5 MB). With room
# for the form around them; each file's own limit is checked after.
FILE_LIMITS = {"/photo": 10 * 1024 * 1024 + 64 * 1024, "/correction": 25 * 1024 * 1024 + 64 * 1024}
MACHINE_PREFIXES = ("/REST/", "/api/", "/PresenceRegistration/")

# In the four languages at once: a body refused this early has no page, nor a language, yet.
TOO_LARGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport"
content="width=device-width, initial-scale=1"><title>Too large</title></head><body><main>
<h1>Too large – Trop volumineux – Te groot – Zu groß</h1>
<p lang="en">What you sent is too large: a photo of at most 10 MB, documents of at most 5 MB each. Go back
and choose a smaller one.</p>
<p lang="fr">Ce que vous avez envoyé est trop volumineux : une photo de 10 Mo au plus, des documents de 5 Mo
chacun au plus. Revenez en arrière et choisissez-en un plus petit.</p>
<p lang="nl">Wat u verstuurde is te groot: een foto van hoogstens 10 MB, documenten van hoogstens 5 MB elk.
Ga terug en kies een kleiner.</p>
<p lang="de">Was Sie gesendet haben, ist zu groß: ein Foto von höchstens 10 MB, Dokumente von höchstens 5 MB
je. Gehen Sie zurück und wählen Sie eine kleinere.</p></main></body></html>"""


def _refuse(limit: int) -> ASGIApp:
    return HTMLResponse(TOO_LARGE, status_code=413)


class PageBodies:
    """ASGI middleware for the pages' forms (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.files = {suffix: BodyLimit(app, limit, _refuse) for suffix, limit in FILE_LIMITS.items()}
        self.forms = BodyLimit(app, FORM_LIMIT, _refuse)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD") or path.startswith(MACHINE_PREFIXES):
            await self.app(scope, receive, send)
        else:
            limit = next((limit for suffix, limit in self.files.items() if path.endswith(suffix)), self.forms)
            await limit(scope, receive, send)
