"""Where the submissions of a batch run: here, or on dask.distributed workers.

Both executors take the batch's :class:`~stacks._task.Context` and its jobs, and hand each
:class:`~stacks._task.Outcome` to a callback as soon as it is ready, in the order they
finish. Every job gets exactly one outcome, also when grading it failed.

- :func:`run_here`: the grader's own process; kernels of several submissions overlap
  (a kernel spends part of its start and shutdown waiting, not computing).
- :func:`run_on_dask`: one task per submission on a dask cluster (:func:`cluster`: a
  ``LocalCluster`` of ``--workers N`` processes, or the scheduler at ``--scheduler``). A
  worker that dies mid-task has its task run again on another; a submission that kills
  ``distributed.scheduler.allowed-failures`` + 1 workers (dask's default: 3 + 1) gets the
  status ``worker-died`` instead of stalling the batch.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from stacks._errors import GradeError
from stacks._task import Context, Job, Outcome, grade_job, run_job

__all__ = ["cluster", "failed", "run_here", "run_on_dask"]

OnOutcome = Callable[[Job, Outcome], None]


def failed(job: Job, status: str, message: str) -> Outcome:
    """The outcome of a job that could not be graded: a row that says why, 0 points."""
    row = copy.copy(job.row)
    row.status, row.message, row.score = status, message[:500], 0.0
    return Outcome(row)


def run_here(context: Context, jobs: Sequence[Job], parallel: int, on_outcome: OnOutcome) -> None:
    """Grade ``jobs`` in this process, ``parallel`` kernels at a time."""
    from stacks import _provisioner

    async def all_jobs() -> None:
        gate = asyncio.Semaphore(parallel)

        async def one(job: Job) -> None:
            async with gate:
                try:
                    outcome = await grade_job(context, job)
                except Exception as error:  # one submission never stops the batch
                    outcome = failed(
                        job, "error", f"grading failed: {type(error).__name__}: {error}"
                    )
            on_outcome(job, outcome)

        await asyncio.gather(*(one(job) for job in jobs))

    try:
        asyncio.run(all_jobs())
    finally:
        _provisioner.close_zygotes()


def run_on_dask(client: Any, context: Context, jobs: Sequence[Job], on_outcome: OnOutcome) -> None:
    """Grade ``jobs`` as one dask task each on the workers of ``client``."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    if not jobs:
        return
    # the context goes with every task (~200 kB) rather than as shared data or a task
    # of its own: tasks that depend on it would all fail with it once the workers that
    # held it died often enough (a poisoned submission kills them), not just that one
    futures = {
        # the key names the student: dask's dashboard and logs say whose task is where
        client.submit(
            run_job, context, job, key=f"grade-{job.row.student}-{context.digest}", pure=False
        ): job
        for job in jobs
    }
    try:
        for future in as_completed(futures):
            job = futures[future]
            try:
                outcome = future.result()
            except KilledWorker:
                outcome = failed(
                    job,
                    "worker-died",
                    "grading this submission stopped every worker it was given to; "
                    "it was not graded: look at it by hand (stacks check runs it alone)",
                )
            except Exception as error:
                outcome = failed(job, "error", f"grading failed: {type(error).__name__}: {error}")
            on_outcome(job, outcome)
    finally:
        client.cancel(list(futures))


@contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A dask client: to the scheduler at ``scheduler``, or to a new local cluster.

    The local cluster has ``workers`` processes of one thread each: a submission's kernel
    is a process of its own, so a worker needs no more than one thread to keep a core busy.
    """
    from distributed import Client, LocalCluster

    quiet = logging.getLogger("distributed")
    level = quiet.level
    # dask logs every worker it restarts; stacks grade says what happened in its own rows
    quiet.setLevel(logging.CRITICAL)
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as error:
                raise GradeError(
                    f"no dask scheduler answers at {scheduler} ({error}); start one with "
                    "`dask scheduler` and workers with `dask worker ADDRESS` (see docs/cluster.md)"
                ) from None
            with client:
                yield client
        else:
            with (
                LocalCluster(
                    n_workers=workers or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.CRITICAL,
                ) as local,
                Client(local) as client,
            ):
                yield client
    finally:
        quiet.setLevel(level)
