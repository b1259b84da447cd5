"""Private Redis and NATS servers for one copy of the world.

Each copy gets its own redis-server and nats-server (JetStream) on loopback, so Antenna's job
streams (named by job id), its Redis keys and the Celery result backend (REDIS_URL's database 1)
of the two copies can never meet, and the suite cannot disturb other tests on the shared services.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, check, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {seconds}s")
        time.sleep(0.1)


class PrivateServers:
    """redis-server + nats-server -js for one copy; stop() removes their state."""

    def __init__(self, name: str):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"diffsuite-{name}-")
        self.redis_port = free_port()
        self.nats_port = free_port()
        self.nats_monitor_port = free_port()
        self._procs: list[subprocess.Popen] = []

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    def start(self) -> "PrivateServers":
        log = open(os.path.join(self.dir, "servers.log"), "ab")
        self._procs.append(
            subprocess.Popen(
                ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", self.dir],
                stdout=log, stderr=log,
            )
        )
        store = os.path.join(self.dir, "jetstream")
        self._procs.append(
            subprocess.Popen(
                ["nats-server", "-a", "127.0.0.1", "-p", str(self.nats_port), "-m", str(self.nats_monitor_port),
                 "-js", "-sd", store],
                stdout=log, stderr=log,
            )
        )

        def redis_up():
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        def nats_up():
            url = f"http://127.0.0.1:{self.nats_monitor_port}/healthz?js-enabled-only=true"
            with urllib.request.urlopen(url, timeout=1) as r:
                return r.status == 200

        _wait(f"redis-server ({self.name})", redis_up)
        _wait(f"nats-server ({self.name})", nats_up)
        return self

    def stop(self) -> None:
        for proc in self._procs:
            proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._procs.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
