"""Job progress as Antenna's _update_job_progress, _fail_job and cleanup_async_job_resources do it:
the same reads, JSON edits, guarded terminal UPDATE, job-log lines and transactions."""

import datetime
import json

from . import db, jobstate, natsraw, settings
from .joblog import JobLogger

FINAL_STATES = ("SUCCESS", "FAILURE", "REVOKED")
FINALIZABLE_STATES = ("CREATED", "PENDING", "STARTED", "RETRY")


def get_job(job_id):
    row = db.dictone("SELECT * FROM jobs_job WHERE id = %s LIMIT 21", (job_id,))
    if row is None:
        raise JobDoesNotExist(job_id)
    if isinstance(row["progress"], str):
        row["progress"] = json.loads(row["progress"])
    return row


class JobDoesNotExist(Exception):
    pass


def _stage(progress, key):
    for stage in progress.get("stages", []):
        if stage.get("key") == key:
            return stage
    return None


def _param(stage, key):
    for param in stage.get("params", []):
        if param.get("key") == key:
            return param.get("value")
    return None


def _set_params(stage, **params):
    for key, value in params.items():
        for param in stage["params"]:
            if param["key"] == key:
                param["value"] = value
                break
        else:
            stage["params"].append({"name": key, "key": key, "category": "default", "value": value})


def is_complete(progress):
    stages = progress.get("stages", [])
    return bool(stages) and all(s["progress"] >= 1.0 and s["status"] in FINAL_STATES for s in stages)


def update_progress_summary(progress):
    """Job.update_progress(save=False), run by Job.save()."""
    stages = progress.get("stages", [])
    for stage in stages:
        if stage["progress"] > 0 and stage["status"] == "CREATED":
            stage["status"] = "STARTED"
        elif stage["progress"] == 1 and stage["status"] not in FINAL_STATES:
            stage["status"] = "SUCCESS"
    progress["summary"]["progress"] = sum(s["progress"] for s in stages) / len(stages) if stages else 0


def _format_elapsed(seconds):
    total = max(0, int(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h {m:02d}m {s:02d}s" if h > 0 else f"{m}m {s:02d}s"


def _log_job_throughput(job, job_logger):
    if not job["started_at"]:
        return
    started = job["started_at"].replace(tzinfo=None) if job["started_at"].tzinfo else job["started_at"]
    elapsed = (datetime.datetime.now() - started).total_seconds()
    if elapsed / 60.0 < 0.05:
        return
    process = _stage(job["progress"], "process")
    if process is None:
        return
    processed = _param(process, "processed") or 0
    remaining = _param(process, "remaining") or 0
    total = processed + remaining
    if processed == 0:
        rate_str = "rate=0.0 imgs/min, ETA=unknown"
    else:
        rate = processed / (elapsed / 60.0)
        eta = (max(0, total - processed) / rate) * 60.0 if rate > 0 else 0.0
        rate_str = f"rate={rate:.1f} imgs/min, ETA={_format_elapsed(eta)}"
    job_logger.info(f"Job {job['id']} throughput: elapsed={_format_elapsed(elapsed)}, processed={processed}/{total}, {rate_str}")


def update_job_progress(job_id, stage_key, percentage, complete_state, **params):
    job_logger = JobLogger(job_id)
    with db.atomic():
        job = get_job(job_id)
        progress = job["progress"]
        stage = _stage(progress, stage_key)
        if stage_key == "results":
            current = {k: ((_param(stage, k) or 0) if stage else 0) for k in ("detections", "classifications", "captures")}
            for key in current:
                params[key] = current[key] + params.get(key, 0)
        passed = percentage
        existing = None
        if stage is not None:
            existing = stage["progress"]
            percentage = max(stage["progress"], percentage)
            if stage["status"] == "FAILURE":
                complete_state = "FAILURE"
        if existing is not None and percentage >= 1.0 and passed < 1.0:
            job_logger.warning(
                f"Stage '{stage_key}' progress lifted to 100% by max() guard: this worker passed {passed*100:.1f}%, "
                f"DB had {existing*100:.1f}%. If no other worker just legitimately finished this stage, this is a state-race symptom."
            )
        status = complete_state if percentage >= 1.0 else ("FAILURE" if complete_state == "FAILURE" else "STARTED")
        stage["status"] = status
        stage["progress"] = percentage
        _set_params(stage, **params)
        became_complete = is_complete(progress)
        job_logger.info(f"Updated job {job_id} progress in stage '{stage_key}' to {percentage*100}%")
        if became_complete:
            now = datetime.datetime.now()
            transitioned = db.execute(
                "UPDATE jobs_job SET status = %s, finished_at = %s WHERE id = %s AND status IN %s",
                (complete_state, now, job_id, FINALIZABLE_STATES),
            )
            if transitioned:
                progress["summary"]["status"] = complete_state
            else:
                job_logger.warning(
                    f"Stage '{stage_key}' completed but the job was already in a terminal state; not applying {complete_state}."
                )
        update_progress_summary(progress)
        db.execute(
            "UPDATE jobs_job SET progress = %s, updated_at = %s WHERE id = %s",
            (db.Json(progress), datetime.datetime.now(), job_id),
        )
        try:
            _log_job_throughput(job, job_logger)
        except Exception:
            pass

    if is_complete(progress):
        job = get_job(job_id)
        summary = ", ".join(f"{s['key']}={s['progress']*100:.1f}% {s['status']}" for s in job["progress"]["stages"])
        job_logger.info(f"is_complete()=True after stage='{stage_key}' update; firing cleanup. Stages: {summary}")
        if job["dispatch_mode"] == "async_api":
            cleanup_async_job_resources(job_id)


def fail_job(job_id, reason):
    job_logger = JobLogger(job_id)
    try:
        with db.atomic():
            row = db.dictone("SELECT * FROM jobs_job WHERE id = %s LIMIT 21 FOR UPDATE", (job_id,))
            if row is None:
                raise JobDoesNotExist(job_id)
            if row["status"] in ("CANCELING",) + FINAL_STATES:
                return
            progress = row["progress"] if isinstance(row["progress"], dict) else json.loads(row["progress"])
            job_logger.info(f"Changing status of job {job_id} from {row['status']} to FAILURE")
            progress["summary"]["status"] = "FAILURE"
            update_progress_summary(progress)
            db.execute(
                "UPDATE jobs_job SET status = 'FAILURE', progress = %s, finished_at = %s WHERE id = %s",
                (db.Json(progress), datetime.datetime.now(), job_id),
            )
        job_logger.error(f"Job {job_id} marked as FAILURE: {reason}")
        cleanup_async_job_resources(job_id)
    except JobDoesNotExist:
        cleanup_async_job_resources(job_id)


def log_missing_state_context(job_id):
    db.fetchone("SELECT status, created_at FROM jobs_job WHERE id = %s LIMIT 21", (job_id,))


def cleanup_async_job_resources(job_id):
    """Redis keys first, then (new NATS connection) consumer stats line, consumer, stream, DLQ consumer."""
    try:
        get_job(job_id)
        job_logger = JobLogger(job_id)
    except JobDoesNotExist:
        job_logger = None
    try:
        jobstate.cleanup(job_id)
        if job_logger:
            job_logger.info(f"Cleaned up Redis state for job {job_id}")
    except Exception as e:
        if job_logger:
            job_logger.error(f"Error cleaning up Redis state for job {job_id}: {e}")
    try:
        ok = _cleanup_nats(job_id, job_logger)
        if job_logger:
            if ok:
                job_logger.info(f"Cleaned up NATS resources for job {job_id}")
            else:
                job_logger.warning(f"Failed to clean up NATS resources for job {job_id}")
    except Exception as e:
        if job_logger:
            job_logger.error(f"Error cleaning up NATS resources for job {job_id}: {e}")


def _cleanup_nats(job_id, job_logger):
    stream, consumer = f"job_{job_id}", f"job-{job_id}-consumer"
    conn = natsraw.open_task_queue_manager()
    try:
        try:
            info = natsraw.js_api(conn, f"CONSUMER.INFO.{stream}.{consumer}")
            if job_logger:
                job_logger.info(
                    f"Finalizing NATS consumer {consumer} before deletion (delivered={info['delivered']['consumer_seq']} "
                    f"ack_floor={info['ack_floor']['consumer_seq']} num_pending={info['num_pending']} "
                    f"num_ack_pending={info['num_ack_pending']} num_redelivered={info['num_redelivered']})"
                )
        except natsraw.NatsError:
            pass
        results = []
        for api, message, error in (
            (f"CONSUMER.DELETE.{stream}.{consumer}", f"Deleted NATS consumer {consumer} for job '{job_id}'", f"Failed to delete NATS consumer for job '{job_id}'"),
            (f"STREAM.DELETE.{stream}", f"Deleted NATS stream {stream} for job '{job_id}'", f"Failed to delete NATS stream for job '{job_id}'"),
        ):
            try:
                natsraw.js_api(conn, api)
                if job_logger:
                    job_logger.info(message)
                results.append(True)
            except natsraw.NatsError as e:
                if job_logger:
                    job_logger.error(f"{error}: {e}")
                results.append(False)
        try:
            natsraw.js_api(conn, f"CONSUMER.DELETE.{settings.ADVISORY_STREAM_NAME}.job-{job_id}-dlq")
        except natsraw.NatsError:
            pass  # not found counts as success
        return all(results)
    finally:
        conn.close()
