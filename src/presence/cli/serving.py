"""`presence serve` and `presence worker`: running the registry."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from ..config import get_settings
from .common import app, fail, first_line, make_runtime, open_database, out


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    worker: Annotated[bool, typer.Option(help="Run a check worker in each serving process too.")] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Serving processes (use the machine's cores; PostgreSQL).")] = 1,
) -> None:
    """Serve every HTTP channel (and, by default, check registrations in the same process)."""
    import os

    from ..app import CHECK_WORKER_VARIABLE, PROCESSES_VARIABLE, create_app
    from ..channels.http import server

    missing = get_settings().missing_for_production()
    if missing:
        raise fail(f"the production environment needs these settings: {'; '.join(missing)}", 2)
    db = open_database()
    runtime = make_runtime(db)
    try:
        server.check_port(host, port)
    except OSError as error:
        raise fail(f"cannot listen on {host}:{port}: {error.strerror or first_line(error)}", 2) from None
    # One plain line, never wrapped: scripts and people look for it.
    print(f"presence registry listening on http://{host}:{port} (database {db.describe()}, "
          f"{runtime.environment} environment, {workers} process(es)"
          f"{', each with a check worker' if worker else ''})", flush=True)
    if workers == 1:
        server.run(create_app(runtime, check_worker=worker), host=host, port=port)
        return
    db.dispose()
    os.environ[CHECK_WORKER_VARIABLE] = "1" if worker else "0"
    os.environ[PROCESSES_VARIABLE] = str(workers)
    server.run("presence.app:app_from_environment", factory=True, workers=workers, host=host, port=port)


@app.command("worker")
def run_worker(
    until_idle: Annotated[bool, typer.Option(help="Stop when no job is ready instead of waiting for more.")] = False,
) -> None:
    """Run a check worker. Start as many as you like on PostgreSQL; they share the queue."""
    from ..services.background import make_worker

    db = open_database()
    worker = make_worker(make_runtime(db), lease=timedelta(seconds=get_settings().job_lease_seconds))
    if until_idle:
        handled = worker.run_until_idle()
        out.print(f"{handled} job(s) handled; none ready now")
        return
    out.print(f"check worker {worker.name} waiting for jobs (database {db.describe()})", highlight=False)
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()
