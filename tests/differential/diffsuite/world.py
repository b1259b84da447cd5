"""The two copies of one seed: Antenna's (its task run in-process) and the binary's (the published
native binary consuming real Celery messages), each with its own database, Redis and NATS."""
import json
import os
import subprocess
import time
import uuid

import psycopg2
import redis

from diffsuite import services_state
from diffsuite.acks import AckObserver
from diffsuite.binary import NativeBinary
from diffsuite.servers import PrivateServers
from diffsuite.snapshot import Database


class Worker:
    """A worker process (diffsuite.worker) speaking one JSON object per line."""

    def __init__(self, name: str, env: dict, log_path: str, cwd: str):
        self.name = name
        self._log = open(log_path, "ab")
        self._proc = subprocess.Popen(
            ["/usr/bin/python3", "-m", "diffsuite.worker"],
            env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1,
        )
        self.log_path = log_path

    def call(self, cmd: str, **args):
        self._proc.stdin.write(json.dumps({"cmd": cmd, "args": args}, default=str) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.name} died during {cmd}; see {self.log_path}")
        reply = json.loads(line)
        if not reply["ok"]:
            raise RuntimeError(f"worker {self.name}: {cmd} failed: {reply['error']}\n{reply['traceback']}")
        return reply["value"]

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._log.close()


class Postgres:
    def __init__(self, admin_dsn: str, direct_url: str, bouncer_url: str):
        self.admin_dsn = admin_dsn
        self.direct_url = direct_url.rsplit("/", 1)[0]
        self.bouncer_url = bouncer_url.rsplit("/", 1)[0]

    def execute(self, sql: str) -> None:
        conn = psycopg2.connect(self.admin_dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def clone(self, template: str, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Copy:
    """One side: database name, private servers, its Antenna worker and (for the binary) the binary."""

    def __init__(self, name: str, database: str, postgres: Postgres, work_dir: str):
        self.name = name
        self.database = database
        self.postgres = postgres
        self.work_dir = work_dir
        self.servers = PrivateServers(name).start()
        self.acks = AckObserver(self.servers.nats_url)
        self.worker: Worker | None = None
        self.binary: NativeBinary | None = None
        self.reply_subjects: dict = {}  # (job name, image id) -> reply subject of its newest delivery
        self.deliveries: dict = {}  # every reply subject ever reserved -> (job name, image id)

    def remember(self, job_name: str, image_id: str, reply_subject: str) -> None:
        self.reply_subjects[(job_name, image_id)] = reply_subject
        self.deliveries[reply_subject] = (job_name, image_id)

    def take_acks(self) -> list:
        return [(*self.deliveries.get(subject, ("?", subject)), kind) for subject, kind in self.acks.take()]

    @property
    def direct_url(self) -> str:
        return f"{self.postgres.direct_url}/{self.database}"

    @property
    def result_backend(self) -> str:
        return f"redis://127.0.0.1:{self.servers.redis_port}/1"

    def start_worker(self, oracle_env: dict, extra: dict) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": oracle_env["pythonpath"],
            "DJANGO_SETTINGS_MODULE": "antenna_settings",
            "DATABASE_URL": self.direct_url,
            "REDIS_URL": self.servers.redis_url,
            "NATS_URL": self.servers.nats_url,
            # Antenna derives the result backend from REDIS_URL (database 1); the kit defaults it
            # to memory, so it is named here as Antenna's settings would derive it.
            "CELERY_RESULT_BACKEND": self.result_backend,
            **extra,
        }
        self.worker = Worker(self.name, env, os.path.join(self.work_dir, f"worker-{self.name}.log"), oracle_env["source"])
        self.worker.call("ping")

    def counts_pending(self) -> int:
        """Events and deployments the binary has marked for recounting and not yet recounted."""
        client = redis.Redis.from_url(self.servers.redis_url)
        return sum(client.zcard(key) for key in ("ingest:dirty:events", "ingest:dirty:deployments"))

    def snapshot(self) -> dict:
        taken_at = time.time()  # before any read: a change the read misses happens after this
        db = Database(self.direct_url).read()
        return {
            "taken_at": taken_at,
            "cachalot": services_state.cachalot_stamps(self.servers.redis_url, db),
            "db": db,
            "redis": services_state.redis_state(self.servers.redis_url, 0),
            "backend": services_state.redis_state(self.servers.redis_url, 1),
            "nats": services_state.jetstream_state(self.servers.nats_monitor_port),
        }

    def stop(self) -> None:
        if self.binary:
            self.binary.stop()
        if self.worker:
            self.worker.stop()
        self.acks.close()
        self.servers.stop()


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"
