"""Entry point of Antenna's Celery worker for the benchmark: `python3 worker_main.py worker -P POOL ...`
runs `celery -A config.celery_app` with the arguments given.

With `-P gevent` it does what the gevent proposal (RolnickLab/antenna#1230) puts in the worker's
entry point: gevent.monkey.patch_all() before anything else is imported (Celery, Django, the
database driver, redis-py), then psycogreen's patch so psycopg2 waits cooperatively. psycogreen
patches psycopg2 only; with ANTENNA_DRIVER=psycopg3 the pure-Python psycopg waits through the
monkey-patched selectors instead.

That alone does not run Antenna's task: its NATS ack is async_to_sync(...) around nats-py, and
asyncio's C accelerator keeps the running event loop per OS thread, which every greenlet shares.
While one greenlet acks, the others find a running loop: Django refuses their ORM calls
(SynchronousOnlyOperation) and asyncio their own acks ("Cannot run the event loop while another
loop is running"). Without the C accelerator asyncio keeps the running loop in a threading.local,
which gevent has made greenlet-local, so each ack has its own loop. ANTENNA_GEVENT_ASYNCIO=as-proposed
leaves the accelerator in place (the proposal exactly as written, to show the failure).
"""
import os
import sys


def _pool(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg in ("-P", "--pool") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--pool="):
            return arg.split("=", 1)[1]
    return "prefork"


if _pool(sys.argv) == "gevent":
    from gevent import monkey

    monkey.patch_all()
    if os.environ.get("ANTENNA_DRIVER", "psycopg2") == "psycopg2":
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()
    if os.environ.get("ANTENNA_GEVENT_ASYNCIO", "greenlet-local") != "as-proposed":
        assert "asyncio" not in sys.modules, "asyncio must be first imported after this point"
        sys.modules["_asyncio"] = None  # pure-Python asyncio: running loop per (patched) thread-local

import kombu_json54  # noqa: E402

kombu_json54.register()

from celery.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.argv = ["celery", "-A", "config.celery_app", *sys.argv[1:]]
    main()
