"""Database access as Django does it for the task: one persistent connection per thread (per
greenlet under gevent, because monkey-patching makes threading.local greenlet-local), autocommit,
one round trip per statement, explicit BEGIN/COMMIT around what Django wraps in a transaction."""

import contextlib
import threading
import time
import urllib.parse

import psycopg2
import psycopg2.extras

from . import settings

CONN_MAX_AGE = 60  # production setting: connections live up to 60 s, checked at task start and end

_local = threading.local()


def _dsn():
    url = urllib.parse.urlsplit(settings.DATABASE_URL)
    return dict(
        host=url.hostname,
        port=url.port or 5432,
        user=urllib.parse.unquote(url.username or ""),
        password=urllib.parse.unquote(url.password or ""),
        dbname=url.path.lstrip("/"),
        application_name="celery-baseline",
    )


def connection():
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg2.connect(**_dsn())
        conn.autocommit = True
        with conn.cursor() as cur:
            # Django's init_connection_state: the server runs in UTC, Django in America/New_York.
            cur.execute("SET TIME ZONE %s", (settings.TIME_ZONE,))
        _local.conn = conn
        _local.born = time.monotonic()
    return conn


def close_old_connection():
    """django.db.close_old_connections, run by Django's Celery fixup before and after each task."""
    conn = getattr(_local, "conn", None)
    if conn is not None and (conn.closed or time.monotonic() - _local.born > CONN_MAX_AGE):
        with contextlib.suppress(Exception):
            conn.close()
        _local.conn = None


def fetchall(sql, params=None):
    with connection().cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def fetchone(sql, params=None):
    with connection().cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def dictone(sql, params=None):
    with connection().cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def dictall(sql, params=None):
    with connection().cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def execute(sql, params=None):
    with connection().cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


@contextlib.contextmanager
def atomic():
    """transaction.atomic(): BEGIN and COMMIT are round trips of their own; ROLLBACK on error."""
    conn = connection()
    if getattr(_local, "in_atomic", False):
        yield  # nested atomic: a savepoint in Django; not reached by the task's code paths
        return
    with conn.cursor() as cur:
        cur.execute("BEGIN")
    _local.in_atomic = True
    try:
        yield
    except BaseException:
        _local.in_atomic = False
        with contextlib.suppress(Exception), conn.cursor() as cur:
            cur.execute("ROLLBACK")
        raise
    _local.in_atomic = False
    with conn.cursor() as cur:
        cur.execute("COMMIT")


def Json(value):
    return psycopg2.extras.Json(value)
