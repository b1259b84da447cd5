#!/usr/bin/python3
"""Publishes the three task types Antenna routes to ml_results, with a real Celery client
configured as Antenna configures it (json serializer, gzip (= zlib) compression, protocol 2).
The kwargs are shaped as Antenna builds them: result_data is a pydantic .dict() — every optional
field present, floats, string ids, datetime objects (Debian's kombu 5.2 writes those as ISO strings).

    /usr/bin/python3 tests/celery/send_tasks.py <broker-url> <queue>
Prints the task ids, one per line, in publish order."""
import datetime
import json
import sys

from celery import Celery
from kombu import Exchange, Queue

broker, queue = sys.argv[1], sys.argv[2]
app = Celery("config", broker=broker)
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_compression="gzip",
    task_protocol=2,
    task_queues=[Queue(queue, Exchange(queue), routing_key=queue)],
)

detected = datetime.datetime(2024, 6, 1, 2, 13, 44, 123456, tzinfo=datetime.timezone.utc)
classified = datetime.datetime(2026, 7, 22, 23, 4, 47, 733001)
result_data = {
    "pipeline": "global_moths_2024",
    "algorithms": {},
    "total_time": 1.84,
    "source_images": [{"id": "987654", "url": "https://storage.example.org/a.jpg"}],
    "detections": [{
        "source_image_id": "987654",
        "bbox": {"x1": 10.0, "y1": 20.5, "x2": 110.0, "y2": 220.0},
        "inference_time": None,
        "algorithm": {"name": "Det", "key": "det"},
        "timestamp": detected,
        "crop_image_url": None,
        "classifications": [{
            "classification": "Moth", "labels": None, "scores": [0.9, 0.1], "logits": None,
            "inference_time": None, "algorithm": {"name": "B", "key": "b"}, "terminal": False,
            "timestamp": classified,
        }],
    }],
    "errors": None,
}
results_json = json.dumps({**result_data, "detections": []})

ids = []
for name, kwargs in [
    ("ami.jobs.tasks.process_nats_pipeline_result",
     {"job_id": 42, "result_data": result_data, "reply_subject": "$JS.ACK.job_42.job-42-consumer.1.17.17.1718000000000000000.3"}),
    ("ami.ml.models.pipeline.save_results", {"results_json": results_json, "job_id": 43}),
    ("ami.ml.tasks.create_detection_images", {"source_image_ids": [987654, 987655]}),
]:
    ids.append(app.send_task(name, kwargs=kwargs, queue=queue, routing_key=queue).id)
print("\n".join(ids))
