"""Redis keys (with types, values and TTLs), JetStream streams and consumers, and Celery result
backend entries of one copy, read straight from its private servers."""
import gzip
import hashlib
import json
import pickle
import urllib.request
import zlib

import redis

TTL_TOLERANCE_SECONDS = 15


def redis_state(url: str, db: int) -> dict:
    client = redis.Redis.from_url(url.rsplit("/", 1)[0] + f"/{db}")
    state = {}
    for raw_key in sorted(client.scan_iter(count=1000)):
        key = raw_key.decode()
        kind = client.type(raw_key).decode()
        if kind == "set":
            value = sorted(m.decode() for m in client.smembers(raw_key))
        elif kind == "hash":
            value = {k.decode(): v.decode() for k, v in sorted(client.hgetall(raw_key).items())}
        elif kind == "zset":
            value = sorted(m.decode() for m in client.zrange(raw_key, 0, -1))
        elif kind == "list":
            value = [m.decode(errors="replace") for m in client.lrange(raw_key, 0, -1)]
        else:
            value = _decode_string(client.get(raw_key))
            if db == 1 and key.startswith("celery-task-meta-"):
                value = mask_backend_entry(value)
        state[key] = {"type": kind, "value": value, "ttl": client.ttl(raw_key)}
    return state


# Fields of a Celery result-backend entry that cannot agree between the two sides: Antenna's task
# runs in-process (an eager request has no name, queue or worker), Debian's Celery 5.2 writes a naive
# date_done where Antenna's pinned 5.4 and the binary write UTC with an offset, and each copy's NATS
# server names its own reply subjects. Compared: status, result, traceback set or not, children,
# args, the other kwargs, retries, task id. The extended fields are checked against a real Celery
# client in tests/AntennaIngest.IntegrationTests/Intake/CeleryResultTests.cs.
_BACKEND_MASKED = ("date_done", "name", "queue", "worker")


def mask_backend_entry(value):
    if not isinstance(value, dict) or "status" not in value:
        return value
    masked = {k: v for k, v in value.items() if k not in _BACKEND_MASKED}
    masked["traceback"] = "<set>" if value.get("traceback") else None
    kwargs = masked.get("kwargs")
    if isinstance(kwargs, dict) and "reply_subject" in kwargs:
        masked["kwargs"] = {**kwargs, "reply_subject": "<reply-subject>"}
    return masked


def _decode_string(raw: bytes | None):
    if raw is None:
        return None
    for decoder in (lambda b: b, gzip.decompress, zlib.decompress):
        try:
            text = decoder(raw).decode()
        except Exception:
            continue
        try:
            return json.loads(text)
        except ValueError:
            return text
    return raw.hex()


def cachalot_stamps(url: str, tables) -> dict:
    """django-cachalot's invalidation time of each table (its key in Django's cache, database 0), or
    None where it has none: key ':1:' + sha1('default:<table>'), value a pickled time()."""
    client = redis.Redis.from_url(url.rsplit("/", 1)[0] + "/0")
    names = sorted(tables)
    keys = [":1:" + hashlib.sha1(f"default:{t}".encode()).hexdigest() for t in names]
    values = client.mget(keys) if keys else []
    return {t: (pickle.loads(v) if v is not None else None) for t, v in zip(names, values)}


def ttl_matches(a: int, b: int) -> bool:
    if a < 0 or b < 0:
        return a == b
    return abs(a - b) <= TTL_TOLERANCE_SECONDS


def jetstream_state(monitor_port: int) -> dict:
    """Streams and consumers. The ack floor is left out: which sequence holds which image differs
    between the copies (Antenna publishes a job's tasks concurrently); acks are compared per image
    by diffsuite.acks instead."""
    url = f"http://127.0.0.1:{monitor_port}/jsz?streams=true&consumers=true&config=true"
    with urllib.request.urlopen(url, timeout=5) as response:
        data = json.load(response)
    streams = {}
    for account in data.get("account_details", []):
        for stream in account.get("stream_detail", []):
            consumers = {}
            for c in stream.get("consumer_detail") or []:
                consumers[c["name"]] = {
                    "num_ack_pending": c.get("num_ack_pending"),
                    "num_redelivered": c.get("num_redelivered"),
                    "num_pending": c.get("num_pending"),
                    "delivered_stream_seq": c.get("delivered", {}).get("stream_seq"),
                }
            streams[stream["name"]] = {
                "messages": stream["state"].get("messages"),
                "last_seq": stream["state"].get("last_seq"),
                "consumers": consumers,
            }
    return streams
