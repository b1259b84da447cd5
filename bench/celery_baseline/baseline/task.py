"""process_nats_pipeline_result as Antenna's Celery task runs it (antenna-ingest-io.md §5)."""

import logging

from redis.exceptions import RedisError

from . import db, jobstate, natsraw, progress, schemas, settings
from .joblog import JobLogger
from .save_results import save_results

logger = logging.getLogger("baseline.task")


def ack_task_via_nats(reply_subject, job_logger):
    try:
        if natsraw.acknowledge(reply_subject):
            if job_logger:
                job_logger.info(f"Successfully acknowledged task via NATS: {reply_subject}")
            return True
        if job_logger:
            job_logger.warning(f"Failed to acknowledge task via NATS: {reply_subject}")
        return False
    except Exception as e:
        if job_logger:
            job_logger.error(f"Error acknowledging task via NATS: {e}")
        else:
            logger.error("Error acknowledging task via NATS: %s", e)
        return False


def process_nats_pipeline_result(job_id, result_data, reply_subject, enqueue_crops):
    result_data = schemas.decode_kombu_types(result_data)
    error_result = None
    if "error" in result_data:
        error_result = schemas.PipelineResultsError(**result_data)
        processed_ids = {str(error_result.image_id)} if error_result.image_id else set()
        failed_ids = processed_ids
        pipeline_result = None
    else:
        pipeline_result = schemas.PipelineResultsResponse(**result_data)
        processed_ids = {str(img.id) for img in pipeline_result.source_images}
        failed_ids = set()

    try:
        info = jobstate.update_state(job_id, processed_ids, "process", failed_ids)
    except RedisError as e:
        logger.warning("Transient Redis error updating job %s state (stage=process); Celery will retry: %s", job_id, e)
        raise

    if not info:
        progress.log_missing_state_context(job_id)
        ack_task_via_nats(reply_subject, None)
        progress.fail_job(job_id, "Job state keys not found in Redis (likely cleaned up concurrently)")
        return

    try:
        complete_state = "FAILURE" if info.total > 0 and info.failed / info.total > settings.FAILURE_THRESHOLD else "SUCCESS"
        progress.update_job_progress(
            job_id, "process", info.percentage, complete_state,
            processed=info.processed, remaining=info.remaining, failed=info.failed,
        )
        job = progress.get_job(job_id)
        job_logger = JobLogger(job_id)
        job_logger.info(f"Processing pipeline result for job {job_id}, reply_subject: {reply_subject}")
        job_logger.info(
            f" Job {job_id} progress: {info.processed}/{info.total} images processed ({info.percentage*100}%), "
            f"{info.remaining} remaining, {info.failed} failed, {len(processed_ids)} just processed"
        )
        if error_result:
            job_logger.error(f"Pipeline returned error for job {job_id}, image {error_result.image_id}: {error_result.error}")
    except progress.JobDoesNotExist:
        logger.error("Job %s not found", job_id)
        ack_task_via_nats(reply_subject, None)
        return

    acked = False
    try:
        detections = classifications = captures = 0
        if pipeline_result:
            # job.pipeline: the lazy foreign-key load
            db.fetchone("SELECT * FROM ml_pipeline WHERE id = %s LIMIT 21", (job["pipeline_id"],))
            save_results(pipeline_result, job_id, enqueue_crops)
            job_logger.info(f"Successfully saved results for job {job_id}")
            detections = len(pipeline_result.detections)
            classifications = sum(len(d.classifications) for d in pipeline_result.detections)
            captures = len(pipeline_result.source_images)

        try:
            info = jobstate.update_state(job_id, processed_ids, "results")
        except RedisError as e:
            job_logger.warning(f"Transient Redis error updating job {job_id} state (stage=results); Celery will retry: {e}")
            raise

        if not info:
            progress.log_missing_state_context(job_id)
            ack_task_via_nats(reply_subject, job_logger)
            progress.fail_job(job_id, "Job state keys not found in Redis (likely cleaned up concurrently)")
            return

        complete_state = "FAILURE" if info.total > 0 and info.failed / info.total > settings.FAILURE_THRESHOLD else "SUCCESS"
        counts = (detections, classifications, captures) if info.newly_removed > 0 else (0, 0, 0)
        progress.update_job_progress(
            job_id, "results", info.percentage, complete_state,
            detections=counts[0], classifications=counts[1], captures=counts[2],
        )
        acked = ack_task_via_nats(reply_subject, job_logger)
    except RedisError:
        raise
    except Exception as e:
        error = f"Error processing pipeline result for job {job_id}: {e}"
        if not acked:
            error += ". NATS will re-deliver the task message."
        logger.exception(error)
        job_logger.error(error)
