"""One copy's Antenna: a long-lived process that runs Antenna's own code (Django, its ORM, Celery
client, AsyncJobStateManager, TaskQueueManager) against one database, Redis and NATS, and answers
commands from the coordinator, one JSON object per line on stdin/stdout.

Run with /usr/bin/python3 and Antenna's PYTHONPATH (scripts/antenna-oracle.sh env); the copy's
DATABASE_URL, REDIS_URL, NATS_URL, CELERY_BROKER_URL and CELERY_RESULT_BACKEND come from the
environment, as they would for Antenna itself.
"""
import json
import os
import sys
import traceback

# The protocol owns the original stdout; everything Django, Celery or Antenna print goes to stderr.
_replies = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

import django  # noqa: E402

django.setup()


def _route_to(queue: str) -> None:
    """Send what Antenna routes to ml_results to this copy's own queue (the suite shares RabbitMQ).
    Set on Django's settings before Celery first reads its configuration from them."""
    from django.conf import settings

    settings.CELERY_TASK_ROUTES = {
        name: ({**route, "queue": queue} if route.get("queue") == "ml_results" else route)
        for name, route in settings.CELERY_TASK_ROUTES.items()
    }


if os.environ.get("DIFFSUITE_CELERY_QUEUE"):
    _route_to(os.environ["DIFFSUITE_CELERY_QUEUE"])

from asgiref.sync import async_to_sync  # noqa: E402
from kombu.utils import json as kombu_json  # noqa: E402

from ami.jobs.models import Job  # noqa: E402
from ami.ml.orchestration.async_job_state import AsyncJobStateManager  # noqa: E402
from ami.ml.orchestration.nats_queue import TaskQueueManager  # noqa: E402
from ami.ml.schemas import PipelineTaskResult  # noqa: E402

from diffsuite import fixtures  # noqa: E402


def _validated(result: dict, reply_subject: str) -> dict:
    """What Antenna's result view hands to Celery: the pydantic model's .dict()."""
    return PipelineTaskResult(reply_subject=reply_subject, result=result).result.dict()


def build_fixtures() -> dict:
    return fixtures.build()


def start_job(job_id: int) -> dict:
    """Antenna's job.run(): seeds Redis state and the job's NATS stream and consumer."""
    job = Job.objects.get(pk=job_id)
    job.run()
    return {"status": Job.objects.get(pk=job_id).status}


def reserve(job_id: int, count: int) -> list[dict]:
    """Pull tasks as a GPU worker does through Antenna's /tasks endpoint (TaskQueueManager.reserve_tasks)."""

    async def pull():
        async with TaskQueueManager() as manager:
            return await manager.reserve_tasks(job_id, count=count, timeout=1)

    return [{"image_id": t.image_id, "reply_subject": t.reply_subject} for t in async_to_sync(pull)()]


def _eager_results_stored() -> None:
    """A Celery worker stores every task's result in Antenna's backend (result_extended); run
    in-process, the task stores it the same way only when eager results are stored."""
    from config.celery_app import app

    app.conf.task_store_eager_result = True


def process(job_id: int, result: dict, reply_subject: str, task_id: str) -> dict:
    """Antenna's own task, in-process, with the message exactly as Celery would deliver it."""
    from ami.jobs.tasks import process_nats_pipeline_result

    _eager_results_stored()
    result_data = kombu_json.loads(kombu_json.dumps(_validated(result, reply_subject)))
    outcome = process_nats_pipeline_result.apply(
        kwargs={"job_id": job_id, "result_data": result_data, "reply_subject": reply_subject}, task_id=task_id)
    # Celery records a failure (and retries Redis errors); the step goes on either way.
    return {"raised": f"{type(outcome.result).__name__}: {outcome.result}" if outcome.failed() else None}


def publish(job_id: int, result: dict, reply_subject: str, task_id: str) -> dict:
    """Exactly what Antenna's result view does: process_nats_pipeline_result.delay(...) to ml_results
    (apply_async to give both copies the same task id)."""
    from ami.jobs.tasks import process_nats_pipeline_result

    task = process_nats_pipeline_result.apply_async(
        kwargs={"job_id": job_id, "result_data": _validated(result, reply_subject), "reply_subject": reply_subject},
        task_id=task_id)
    return {"task_id": task.id}


def _results_json(result: dict) -> str:
    """What Pipeline.save_results_async sends: the validated response's .json()."""
    from ami.ml.schemas import PipelineResultsResponse

    return PipelineResultsResponse(**result).json()


def save(job_id: int, result: dict, task_id: str) -> dict:
    """A sync_api job's save_results sub-task, run as a Celery worker runs it (result stored)."""
    from ami.ml.models.pipeline import save_results

    _eager_results_stored()
    outcome = save_results.apply(kwargs={"results_json": _results_json(result), "job_id": job_id}, task_id=task_id)
    return {"state": outcome.state, "value": repr(outcome.result) if outcome.successful() else None}


def publish_save(job_id: int, result: dict, task_id: str) -> dict:
    """MLJob.process_images' save_results_async(results, job_id), then AsyncResult.get() as the job
    polls it: the real Celery client reads what the binary stored in the result backend."""
    from ami.ml.models.pipeline import save_results

    task = save_results.apply_async(kwargs={"results_json": _results_json(result), "job_id": job_id}, task_id=task_id)
    try:
        value = task.get(timeout=30, propagate=False)
    except Exception as e:  # a timeout: the job would end FAILURE although the rows were saved
        return {"state": "TIMEOUT", "error": f"{type(e).__name__}: {e}"}
    return {"state": task.state, "value": repr(value)}


def cancel(job_id: int) -> dict:
    job = Job.objects.get(pk=job_id)
    job.cancel()
    return {"status": Job.objects.get(pk=job_id).status}


def retry(job_id: int) -> dict:
    """Job.retry() runs the job again in place (as run_job would)."""
    job = Job.objects.get(pk=job_id)
    job.retry(async_task=False)
    return {"status": Job.objects.get(pk=job_id).status}


def forget_state(job_id: int) -> dict:
    """The job's Redis state disappears (eviction, a concurrent cleanup)."""
    AsyncJobStateManager(job_id).cleanup()
    return {}


def ping() -> dict:
    return {"pid": os.getpid()}


COMMANDS = {f.__name__: f for f in (build_fixtures, start_job, reserve, process, publish, save, publish_save, cancel, retry,
                                     forget_state, ping)}


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = {"ok": True, "value": COMMANDS[request["cmd"]](**request.get("args", {}))}
        except Exception as e:
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
        finally:
            from django.db import close_old_connections

            close_old_connections()
        _replies.write(json.dumps(reply, default=str) + "\n")


if __name__ == "__main__":
    main()
