"""A minimal NATS client on a raw socket, doing per connection what nats-py does for Antenna's
TaskQueueManager: read INFO, send CONNECT and PING, wait for PONG; JetStream API calls as
request/reply on an inbox; publish; flush (PING/PONG); close. One new connection per ack."""

import json
import os
import socket
import urllib.parse

from . import settings


class NatsError(Exception):
    pass


class Connection:
    def __init__(self, url=None, timeout=5.0):
        parsed = urllib.parse.urlsplit(url or settings.NATS_URL)
        self._sock = socket.create_connection((parsed.hostname, parsed.port or 4222), timeout=timeout)
        self._sock.settimeout(settings.NATS_JETSTREAM_TIMEOUT)
        self._buffer = b""
        self._sid = 0
        self._inbox = "_INBOX." + os.urandom(11).hex()
        self._inbox_sid = None
        line = self._readline()
        if not line.startswith(b"INFO "):
            raise NatsError(f"expected INFO, got {line[:40]!r}")
        connect = {
            "verbose": False,
            "pedantic": False,
            "lang": "python3",
            "version": "2.10.0",
            "protocol": 1,
            "headers": True,
            "no_responders": True,
        }
        self._sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        self._expect_pong()

    def _readline(self):
        while b"\r\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise NatsError("connection closed")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line

    def _readexact(self, n):
        while len(self._buffer) < n:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise NatsError("connection closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _expect_pong(self):
        while True:
            line = self._readline()
            if line == b"PONG":
                return
            if line == b"PING":
                self._sock.sendall(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                raise NatsError(line.decode(errors="replace"))

    def publish(self, subject, payload, reply=None):
        head = f"PUB {subject} {reply + ' ' if reply else ''}{len(payload)}\r\n".encode()
        self._sock.sendall(head + payload + b"\r\n")

    def flush(self):
        self._sock.sendall(b"PING\r\n")
        self._expect_pong()

    def request(self, subject, payload=b""):
        """Request/reply through a wildcard inbox subscription (nats-py's new-style request mux)."""
        if self._inbox_sid is None:
            self._sid += 1
            self._inbox_sid = self._sid
            self._sock.sendall(f"SUB {self._inbox}.* {self._inbox_sid}\r\n".encode())
        token = os.urandom(8).hex()
        self.publish(subject, payload, reply=f"{self._inbox}.{token}")
        while True:
            line = self._readline()
            if line == b"PING":
                self._sock.sendall(b"PONG\r\n")
                continue
            if line.startswith(b"-ERR"):
                raise NatsError(line.decode(errors="replace"))
            if line.startswith(b"MSG ") or line.startswith(b"HMSG "):
                parts = line.split()
                if line.startswith(b"HMSG "):
                    header_len, total = int(parts[-2]), int(parts[-1])
                    data = self._readexact(total + 2)[:total]
                    headers, body = data[:header_len], data[header_len:]
                    if b" 503" in headers.split(b"\r\n", 1)[0]:
                        raise NatsError("no responders")
                else:
                    size = int(parts[-1])
                    body = self._readexact(size + 2)[:size]
                return json.loads(body) if body else {}

    def close(self):
        # nats-py's close() writes out what is buffered (nothing here) and closes the socket.
        self._sock.close()


def js_api(conn, api, payload=None):
    reply = conn.request("$JS.API." + api, json.dumps(payload).encode() if payload is not None else b"")
    if "error" in reply:
        raise NatsError(f"{api}: {reply['error']}")
    return reply


def open_task_queue_manager():
    """TaskQueueManager.__aenter__: connect, then make sure the shared advisory stream exists."""
    conn = Connection()
    try:
        try:
            js_api(conn, "STREAM.INFO." + settings.ADVISORY_STREAM_NAME)
        except NatsError as e:
            if "10059" not in str(e) and "not found" not in str(e):
                raise
            js_api(
                conn,
                "STREAM.CREATE." + settings.ADVISORY_STREAM_NAME,
                {"name": settings.ADVISORY_STREAM_NAME, "subjects": ["$JS.EVENT.ADVISORY.>"], "max_age": 3600 * 10**9},
            )
    except BaseException:
        conn._sock.close()
        raise
    return conn


def acknowledge(reply_subject):
    """_ack_task_via_nats: a new connection, `+ACK` as a core publish, flush, close."""
    conn = open_task_queue_manager()
    try:
        conn.publish(reply_subject, b"+ACK")
        conn.flush()
        return True
    finally:
        conn.close()
