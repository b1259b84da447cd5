"""The Celery app with Antenna's settings for the ml_results worker (antenna-ingest-io.md §1.2)."""

import logging
import sys

from celery import Celery, signals
from redis.exceptions import RedisError

from . import db, settings

# Under `-P gevent` Celery has monkey-patched the standard library before this import; psycopg2
# needs psycogreen to yield to other greenlets while it waits on the server.
if "gevent" in sys.argv:
    import psycogreen.gevent

    psycogreen.gevent.patch_psycopg()

app = Celery("antenna_baseline", broker=settings.BROKER_URL)
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_compression="gzip",
    result_compression="gzip",
    result_backend="rpc://",
    result_extended=True,
    result_expires=259200,
    worker_prefetch_multiplier=1,
    task_acks_late=False,
    worker_send_task_events=True,
    task_send_sent_event=True,
    broker_heartbeat=30,
    broker_connection_retry_on_startup=True,
    broker_pool_limit=20,
    task_default_queue=settings.QUEUE,
    task_routes={
        "ami.jobs.tasks.process_nats_pipeline_result": {"queue": settings.QUEUE},
        "ami.ml.tasks.create_detection_images": {"queue": settings.CROP_QUEUE},
    },
    worker_hijack_root_logger=True,
)


def enqueue_crops(source_image_ids):
    """create_detection_images.delay(source_image_ids=[...]) as save_results calls it."""
    return app.send_task("ami.ml.tasks.create_detection_images", kwargs={"source_image_ids": source_image_ids}).id


@app.task(
    bind=True,
    name="ami.jobs.tasks.process_nats_pipeline_result",
    autoretry_for=(RedisError, ConnectionError),
    retry_backoff=True,
    retry_backoff_max=15,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=300,
    time_limit=360,
)
def process_nats_pipeline_result(self, job_id, result_data, reply_subject):
    from .task import process_nats_pipeline_result as run

    run(job_id, result_data, reply_subject, enqueue_crops)


@app.task(name="ami.ml.tasks.create_detection_images", soft_time_limit=172800, time_limit=176400)
def create_detection_images(source_image_ids):
    from .crops import create_detection_images as run

    run(source_image_ids)


# Django's Celery fixup closes connections older than CONN_MAX_AGE before and after each task.
@signals.task_prerun.connect
def _close_old_before(**kwargs):
    db.close_old_connection()


@signals.task_postrun.connect
def _close_old_after(**kwargs):
    db.close_old_connection()


logging.getLogger("baseline").setLevel(logging.INFO)
