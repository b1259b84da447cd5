"""Django settings for Antenna's own Celery worker as a benchmark contender.

Everything comes from Antenna (the kit's antenna_settings = Antenna's config.settings.base with
local URLs from the environment), except what a benchmark run needs to change, each below:

- the result backend: Antenna derives it from REDIS_URL (database 1); the kit defaults it to
  memory for in-process runs, so the variable is emptied first and Antenna's own derivation runs;
- CONN_MAX_AGE: production's value (config/settings/production.py: env CONN_MAX_AGE, default 60),
  or ANTENNA_CONN_MAX_AGE for the gevent proposal's CONN_MAX_AGE=0 variant;
- the queue: what Antenna routes to ml_results goes to BENCH_QUEUE, so runs sharing one RabbitMQ
  never see each other's messages. With BASELINE_CROPS=false, create_detection_images (which
  save_results publishes) goes to BENCH_QUEUE_crops_sink, a queue nobody consumes;
- MEDIA_ROOT: where the crops go (default storage is FileSystemStorage; production uses S3).
"""
import os

os.environ.setdefault("CELERY_RESULT_BACKEND", "")  # "" -> Antenna's REDIS_URL-derived backend

from antenna_settings import *  # noqa: E402,F401,F403
from antenna_settings import CELERY_TASK_ROUTES, DATABASES, MEDIA_ROOT  # noqa: E402

DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("ANTENNA_CONN_MAX_AGE") or os.environ.get("CONN_MAX_AGE") or 60)

MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or MEDIA_ROOT

_queue = os.environ.get("BENCH_QUEUE") or "ml_results"
_crops = os.environ.get("BASELINE_CROPS", "false").lower() in ("1", "true", "yes", "on")
CELERY_TASK_ROUTES = {
    name: ({**route, "queue": _queue} if route.get("queue") == "ml_results" else route)
    for name, route in CELERY_TASK_ROUTES.items()
}
if not _crops:
    CELERY_TASK_ROUTES["ami.ml.tasks.create_detection_images"] = {"queue": _queue + "_crops_sink"}
