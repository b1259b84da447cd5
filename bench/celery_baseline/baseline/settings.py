"""Settings from the environment, with Antenna's production values as defaults."""

import os
import time

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://antenna:antenna@127.0.0.1:56432/antenna")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:56379/0")
NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:54222")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:55672/")
QUEUE = os.environ.get("BENCH_QUEUE", "ml_results")
# Where save_results' create_detection_images.delay() goes. Antenna routes it to ml_results, where
# the same workers run it; with crops off the message is published to a queue nobody consumes.
CROPS = os.environ.get("BASELINE_CROPS", "false").lower() in ("1", "true", "yes", "on")
CROP_QUEUE = QUEUE if CROPS else QUEUE + "_crops_sink"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", "/tmp/baseline-media")
JOB_LOG_PERSIST_ENABLED = os.environ.get("JOB_LOG_PERSIST_ENABLED", "true").lower() in ("1", "true", "yes", "on")
# USE_TZ=False, TIME_ZONE="America/New_York": naive New-York wall-clock times everywhere.
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
os.environ["TZ"] = TIME_ZONE
time.tzset()

FAILURE_THRESHOLD = 0.5
REDIS_TTL = 86400 * 7
NATS_JETSTREAM_TIMEOUT = 10
ADVISORY_STREAM_NAME = "advisories"
