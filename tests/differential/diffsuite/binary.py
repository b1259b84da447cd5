"""The published native antenna-ingest binary serving the binary's copy of the world."""
import os
import re
import signal
import subprocess
import time
import urllib.request

from diffsuite.servers import free_port

_SAMPLE = re.compile(r'^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$')


class NativeBinary:
    def __init__(self, path: str, env: dict, log_path: str):
        self.path = path
        self.http_port = free_port()
        self.log_path = log_path
        self.env = {**os.environ, **env, "INGEST_HTTP_PORT": str(self.http_port)}
        self._proc: subprocess.Popen | None = None

    def start(self) -> "NativeBinary":
        log = open(self.log_path, "ab")
        self._proc = subprocess.Popen([self.path, "run"], env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"antenna-ingest did not become ready within 30 s; see {self.log_path}")

    def _check_alive(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(f"antenna-ingest exited with {self._proc.returncode}; see {self.log_path}")

    def metrics(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=5) as r:
            text = r.read().decode()
        samples: dict = {}
        for line in text.splitlines():
            m = _SAMPLE.match(line)
            if m:
                samples.setdefault(m["name"], {})[m["labels"] or ""] = float(m["value"])
        return samples

    def settled(self) -> int:
        """Tasks settled (acked, rejected, dead-lettered) since start, over every outcome."""
        return int(sum(self.metrics().get("antenna_ingest_results_total", {}).values()))

    def wait_settled(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            m = self.metrics()
            done = int(sum(m.get("antenna_ingest_results_total", {}).values()))
            in_flight = int(sum(m.get("antenna_ingest_in_flight", {}).values()))
            if done >= count and in_flight == 0:
                return
            time.sleep(0.05)
        raise TimeoutError(f"antenna-ingest settled {self.settled()} of {count} tasks within {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
