#!/usr/bin/python3
"""Do the workload's Celery messages match what Antenna's result view publishes?

For each result the workload enqueued (`antenna-workload enqueue --target both`: the Celery message
on one queue, the same result as the ADC worker posts it on a JetStream stream), this does what
ami/jobs/views.py `result` does with the posted result: MLJobResultsRequestSerializer validation,
then process_nats_pipeline_result.delay(job_id=…, result_data=result.dict(), reply_subject=…),
with Antenna's own code and Celery settings (routed to a second queue). Then it takes both
messages off RabbitMQ and compares them: exchange and routing key, AMQP properties, every header,
and the decompressed body, value for value with types and key order.

Known differences of the environment, not of the workload (checked separately below):
- Debian's celery 5.2.6 lacks three headers Antenna's celery 5.4 sends (replaced_task_nesting,
  stamped_headers, stamps); the workload must send 5.4's values for them.
- Debian's kombu 5.2 writes datetimes as ISO strings; bench/antenna_worker/kombu_json54 gives it
  kombu 5.4's {"__type__": "datetime", …} envelopes, as Antenna's pinned kombu writes them.
- Task ids, reply_to (a uuid per process) and origin (gen<pid>@<host>) differ by nature.
- priority: Celery sends 0, RabbitMQ.Client 7 omits a zero priority (read as the default either way).
- Production's Sentry integration adds trace headers (sentry-trace, baggage); the kit has no Sentry.

Run through tests/celery/compare-enqueuer.sh (it sets up, enqueues, and cleans up).
"""
import argparse
import asyncio
import json
import os
import re
import sys
import zlib

import django

django.setup()

import amqp  # noqa: E402
import kombu_json54  # noqa: E402
import nats  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

kombu_json54.register()

from ami.jobs.serializers import MLJobResultsRequestSerializer  # noqa: E402
from ami.jobs.tasks import process_nats_pipeline_result  # noqa: E402

CELERY_54_ONLY = {"replaced_task_nesting": 0, "stamped_headers": None, "stamps": {}}
DIFFERENT_BY_NATURE = {"id", "root_id", "origin"}


async def posted_results(stream: str, count: int) -> list[dict]:
    """The results as the ADC worker posts them, in enqueue order."""
    connection = await nats.connect(os.environ["NATS_URL"])
    try:
        js = connection.jetstream()
        return [json.loads((await js.get_msg(stream, seq)).data) for seq in range(1, count + 1)]
    finally:
        await connection.close()


def publish_as_the_view(body: dict) -> None:
    serializer = MLJobResultsRequestSerializer(data={"results": [{"reply_subject": body["reply_subject"], "result": body["result"]}]})
    serializer.is_valid(raise_exception=True)
    task_result = serializer.validated_data["results"][0]
    process_nats_pipeline_result.delay(
        job_id=body["job_id"], result_data=task_result.result.dict(), reply_subject=task_result.reply_subject
    )


def take(channel, queue: str, count: int) -> list:
    messages = []
    while len(messages) < count:
        message = channel.basic_get(queue, no_ack=True)
        if message is None:
            raise AssertionError(f"queue {queue}: {len(messages)} messages, expected {count}")
        messages.append(message)
    return messages


def strict(value):
    """A value with its Python types spelled out, so 1 and 1.0 or {} orders never compare equal."""
    if isinstance(value, dict):
        return ["dict", [(k, strict(v)) for k, v in value.items()]]
    if isinstance(value, (list, tuple)):
        return ["list", [strict(v) for v in value]]
    return [type(value).__name__, value]


def first_difference(mine, theirs, path="body"):
    if strict(mine) == strict(theirs):
        return None
    if isinstance(mine, dict) and isinstance(theirs, dict) and list(mine) == list(theirs):
        return next(d for k in mine if (d := first_difference(mine[k], theirs[k], f"{path}.{k}")))
    if isinstance(mine, (list, tuple)) and isinstance(theirs, (list, tuple)) and len(mine) == len(theirs):
        return next(d for i, (a, b) in enumerate(zip(mine, theirs)) if (d := first_difference(a, b, f"{path}[{i}]")))
    return path, mine, theirs


def body_of(message) -> tuple:
    raw = message.body
    if message.headers.get("compression") == "application/x-gzip":
        raw = zlib.decompress(raw)
    return raw, kombu_json54.loads(raw)


def compare(index: int, ours, antennas, workload_queue: str, antenna_queue: str) -> list[str]:
    problems = []

    def differ(what, mine, theirs):
        problems.append(f"result {index}: {what}: workload {mine!r} != Antenna {theirs!r}")

    # Celery publishes a routed queue's messages to the default exchange, the queue's name as routing key.
    for message, queue, who in ((ours, workload_queue, "workload"), (antennas, antenna_queue, "Antenna")):
        if (message.delivery_info["exchange"], message.delivery_info["routing_key"]) != ("", queue):
            problems.append(f"result {index}: {who}: published to {message.delivery_info['exchange']!r}/{message.delivery_info['routing_key']!r}")
    for key in ("content_type", "content_encoding", "delivery_mode"):
        if ours.properties.get(key) != antennas.properties.get(key):
            differ(f"property {key}", ours.properties.get(key), antennas.properties.get(key))
    # Celery sends priority 0; RabbitMQ.Client 7 leaves a zero priority out of the frame. Both
    # workers read a missing priority as the default, so only the value is compared.
    if (ours.properties.get("priority") or 0) != (antennas.properties.get("priority") or 0):
        differ("property priority", ours.properties.get("priority"), antennas.properties.get("priority"))
    for message, who in ((ours, "workload"), (antennas, "Antenna")):
        headers = message.headers
        if message.properties.get("correlation_id") != headers["id"] or headers["root_id"] != headers["id"]:
            problems.append(f"result {index}: {who}: correlation_id/root_id are not the task id")
        if not message.properties.get("reply_to"):
            problems.append(f"result {index}: {who}: no reply_to")
        if not re.fullmatch(r"gen\d+@.+", headers["origin"]):
            problems.append(f"result {index}: {who}: origin {headers['origin']!r}")

    mine, theirs = dict(ours.headers), dict(antennas.headers)
    for key, value in CELERY_54_ONLY.items():
        if key in theirs:  # Antenna's Celery is newer than Debian's here: compare as usual
            continue
        if mine.pop(key, "absent") != value:
            differ(f"celery 5.4 header {key}", ours.headers.get(key, "absent"), value)
    for key in sorted(set(mine) | set(theirs)):
        if key in DIFFERENT_BY_NATURE:
            continue
        if mine.get(key, "absent") != theirs.get(key, "absent"):
            differ(f"header {key}", mine.get(key, "absent"), theirs.get(key, "absent"))

    (my_raw, my_body), (their_raw, their_body) = body_of(ours), body_of(antennas)
    difference = first_difference(my_body, their_body)
    if difference:
        differ(difference[0], difference[1], difference[2])
    elif my_raw != their_raw:
        differ("body bytes (values agree)", my_raw[:200], their_raw[:200])
    return problems


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload-queue", required=True)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    antenna_queue = os.environ["BENCH_QUEUE"]

    posted = asyncio.run(posted_results(args.stream, args.count))
    for body in posted:
        publish_as_the_view(body)

    broker = urlparse(os.environ["CELERY_BROKER_URL"])
    connection = amqp.Connection(host=f"{broker.hostname}:{broker.port or 5672}", userid=broker.username or "guest",
                                 password=broker.password or "guest", virtual_host=broker.path.lstrip("/") or "/")
    connection.connect()
    try:
        channel = connection.channel()
        ours = take(channel, args.workload_queue, args.count)
        antennas = take(channel, antenna_queue, args.count)
    finally:
        connection.close()

    problems = [p for i, (a, b) in enumerate(zip(ours, antennas)) for p in compare(i, a, b, args.workload_queue, antenna_queue)]
    errors = sum(1 for body in posted if "error" in body["result"])
    detections = sum(len(body["result"].get("detections") or []) for body in posted)
    for problem in problems[:40]:
        print("DIFF", problem)
    sizes = sum(len(m.body) for m in ours), sum(len(m.body) for m in antennas)
    print(f"compared {args.count} messages ({errors} error results, {detections} detections; compressed bodies "
          f"{sizes[0]} B workload, {sizes[1]} B Antenna): {len(problems)} differences")
    print(f"{args.count - len({p.split(':')[0] for p in problems})} passed, {len({p.split(':')[0] for p in problems})} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
