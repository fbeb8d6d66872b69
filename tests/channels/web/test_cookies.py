"""The cookies outside the simulation environment: `__Host-` names, Secure, HttpOnly, SameSite=Lax (over real
HTTP; a browser would keep them only over HTTPS, as production serves)."""

from __future__ import annotations

import re

import httpx

from presence.app import create_app
from presence.channels.http.ratelimit import Limits
from presence.config import Environment
from presence.services.runtime import Runtime
from presence.sources.personas import persona
from tests.channels.conftest import serving


def test_production_cookies_are_host_only_secure_http_only_and_lax(people_db, clock):
    manager = persona("manager")
    runtime = Runtime(db=people_db, clock=clock, environment=Environment.PRODUCTION)
    with serving(create_app(runtime, limits=Limits.none())) as url, httpx.Client(base_url=url) as client:
        form = client.get("/sign-in")
        [csrf_cookie] = form.headers.get_list("set-cookie")
        assert csrf_cookie.startswith("__Host-presence-csrf=")
        token = csrf_cookie.split(";")[0].split("=", 1)[1]
        flags = {flag.strip().lower() for flag in csrf_cookie.split(";")[1:]}
        assert {"httponly", "secure", "path=/", "samesite=lax"} <= flags
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        signed_in = client.post("/sign-in", headers={"Cookie": f"__Host-presence-csrf={token}"}, data={
            "csrf": csrf, "identifier": manager.email, "password": manager.password,
            "code": manager.code(clock.now()), "next": "/"})
        assert signed_in.status_code == 303
        session_cookie = next(c for c in signed_in.headers.get_list("set-cookie")
                              if c.startswith("__Host-presence-session="))
        assert {"httponly", "secure", "path=/", "samesite=lax"} <= {
            flag.strip().lower() for flag in session_cookie.split(";")[1:]}
        assert "domain=" not in session_cookie.lower()  # host-only, as __Host- requires
        assert form.headers["content-security-policy"].startswith("default-src 'none'")
