"""`presence jobs`: the background job queue."""

from __future__ import annotations

import typer

from ..jobs.queue import ALL_STATES
from ..services.background import dead_jobs, queue_summary, retry_dead_jobs
from .common import app, as_operator, make_runtime, open_database, out

jobs_app = typer.Typer(help="The background job queue.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("status")
def jobs_status() -> None:
    """Jobs by state, how long the oldest ready job has waited (the check lag), and the dead ones' last error."""
    runtime = make_runtime(open_database())
    summary = queue_summary(runtime, ALL_STATES)
    for state in ALL_STATES:
        out.print(f"{state:<8} {summary.counts.get(state, 0):>10,}", highlight=False)
    lag = summary.oldest_ready_age
    out.print(f"oldest ready job waiting for {lag:,.1f} s" if lag is not None else "no job waiting",
              highlight=False)
    for job in dead_jobs(runtime):
        out.print(f"dead job {job.id} ({job.kind}, {job.attempts} attempts): {job.last_error}", highlight=False,
                  markup=False)


@jobs_app.command("retry-dead")
def jobs_retry_dead() -> None:
    """Give every dead job a fresh set of attempts (after fixing what killed them)."""
    out.print(f"{as_operator(retry_dead_jobs)} dead job(s) queued again")
