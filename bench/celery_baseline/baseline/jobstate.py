"""Redis job state: the same keys and MULTI/EXEC pipelines as Antenna's AsyncJobStateManager."""

import dataclasses

import redis

from . import settings

_pool = None


def client():
    global _pool
    if _pool is None:
        _pool = redis.ConnectionPool.from_url(settings.REDIS_URL, socket_keepalive=True, socket_connect_timeout=5)
    return redis.Redis(connection_pool=_pool)


@dataclasses.dataclass
class Progress:
    remaining: int
    total: int
    processed: int
    percentage: float
    failed: int
    newly_removed: int


def _keys(job_id, stage):
    return (
        f"job:{job_id}:pending_images:{stage}",
        f"job:{job_id}:failed_images",
        f"job:{job_id}:pending_images_total",
    )


def update_state(job_id, processed_ids, stage, failed_ids=None):
    pending, failed, total_key = _keys(job_id, stage)
    pipe = client().pipeline()  # transaction=True: MULTI ... EXEC, one round trip
    if processed_ids:
        pipe.srem(pending, *processed_ids)
    if failed_ids:
        pipe.sadd(failed, *failed_ids)
        pipe.expire(failed, settings.REDIS_TTL)
    pipe.scard(pending)
    pipe.scard(failed)
    pipe.get(total_key)
    replies = pipe.execute()
    newly_removed = replies[0] if processed_ids else 0
    remaining, failed_count, total = replies[-3], replies[-2], replies[-1]
    if total is None:
        return None
    total = int(total)
    processed = total - remaining
    return Progress(
        remaining=remaining,
        total=total,
        processed=processed,
        percentage=processed / total if total > 0 else 1.0,
        failed=failed_count,
        newly_removed=newly_removed,
    )


def cleanup(job_id):
    client().delete(
        f"job:{job_id}:pending_images:process",
        f"job:{job_id}:pending_images:results",
        f"job:{job_id}:failed_images",
        f"job:{job_id}:pending_images_total",
    )
