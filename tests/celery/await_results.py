#!/usr/bin/python3
"""Antenna's sync_api path with a real Celery client: sends ami.ml.models.pipeline.save_results as
Pipeline.save_results_async does (kwargs results_json + job_id, json, gzip, protocol 2) and waits
for each result the way MLJob.process_images does (AsyncResult.ready() / get(timeout)), against
the result backend given (redis://.../1 or rpc://). Also records the Celery events the worker
sends, with a queue bound to the celeryev topic exchange as celery.events.EventReceiver binds one.

    /usr/bin/python3 tests/celery/await_results.py <broker-url> <backend-url> <queue> <ok-job-id> <failing-job-id> <worker-hostname>

The worker is expected to save <ok-job-id>'s results (SUCCESS, result None) and to fail
<failing-job-id>'s for good (FAILURE, a ValueError). Prints one JSON object: the task ids, the
states, the failure's type and message, and the event types seen per task id; exits 1 when an
expectation does not hold."""
import json
import sys
import time
import uuid
from queue import Empty

from celery import Celery
from kombu import Connection, Exchange, Queue

broker, backend, queue, ok_job, failing_job = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
worker_hostname = sys.argv[6]  # worker events of other Celery workers on this broker are ignored
app = Celery("ami", broker=broker, backend=backend)
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_compression="gzip",
    result_extended=True,
    task_protocol=2,
    task_queues=[Queue(queue, Exchange(queue), routing_key=queue)],
)

# Bound before anything is sent, so no event of these tasks is missed.
events_queue = Queue(f"test-celeryev-{uuid.uuid4().hex}", Exchange("celeryev", type="topic"), routing_key="#",
                     durable=False, auto_delete=False, exclusive=False)
with Connection(broker) as connection:
    events_queue(connection.default_channel).declare()

results_json = json.dumps({"pipeline": "global_moths_2024", "algorithms": {}, "total_time": 1.0,
                           "source_images": [{"id": "1", "url": "https://example.org/1.jpg"}],
                           "detections": [], "errors": None})
sent = {
    "ok": app.send_task("ami.ml.models.pipeline.save_results", kwargs={"results_json": results_json, "job_id": ok_job},
                        queue=queue, routing_key=queue),
    "failing": app.send_task("ami.ml.models.pipeline.save_results", kwargs={"results_json": results_json, "job_id": failing_job},
                             queue=queue, routing_key=queue),
}

report = {"ids": {k: r.id for k, r in sent.items()}, "problems": []}
ok = sent["ok"]
ok.get(timeout=60)  # MLJob.process_images: sub_task.wait(timeout=60); raises on FAILURE or timeout
report["ok"] = {"state": ok.state, "ready": ok.ready(), "result": ok.result}
failing = sent["failing"]
failing.get(timeout=60, propagate=False)
report["failing"] = {"state": failing.state, "ready": failing.ready(),
                     "exc_type": type(failing.result).__name__, "exc_message": str(failing.result)}

if report["ok"]["state"] != "SUCCESS" or report["ok"]["result"] is not None:
    report["problems"].append("ok task is not SUCCESS with result None")
if report["failing"]["state"] != "FAILURE" or not isinstance(failing.result, ValueError):
    report["problems"].append("failing task is not FAILURE with a ValueError")

# Events: task-succeeded/failed are sent after the result is stored; allow a moment for delivery.
seen = {}
workers = set()
deadline = time.time() + 10
with Connection(broker) as connection:
    simple = connection.SimpleQueue(events_queue, no_ack=True)
    while time.time() < deadline:
        try:
            event = simple.get(timeout=1).payload
        except Empty:
            if all(t in seen.get(ok.id, []) for t in ("task-received", "task-started", "task-succeeded")) \
                    and "task-failed" in seen.get(failing.id, []) and workers:
                break
            continue
        # A Celery worker with an event loop groups its task events and sends them as one list;
        # other tests' Celery workers share this broker, so lists arrive here too.
        for one in (event if isinstance(event, list) else [event]):
            if one.get("uuid"):
                seen.setdefault(one["uuid"], []).append(one["type"])
            if one["type"].startswith("worker-") and one.get("hostname") == worker_hostname:
                workers.add((one["type"], one["hostname"]))
    simple.close()
    events_queue(connection.default_channel).delete()

report["events"] = {"ok": seen.get(ok.id, []), "failing": seen.get(failing.id, []), "workers": sorted(workers)}
for expected in ("task-received", "task-started", "task-succeeded"):
    if expected not in report["events"]["ok"]:
        report["problems"].append(f"no {expected} event for the ok task")
if "task-failed" not in report["events"]["failing"]:
    report["problems"].append("no task-failed event for the failing task")
if not workers:
    report["problems"].append(f"no worker-online/worker-heartbeat event from {worker_hostname}")

print(json.dumps(report, default=str))
sys.exit(1 if report["problems"] else 0)
