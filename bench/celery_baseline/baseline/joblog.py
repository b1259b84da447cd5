"""The per-job logger: every line at INFO or above is one INSERT into jobs_joblog (JobLogHandler),
in whatever transaction is open. DEBUG lines are dropped (production level INFO)."""

import logging

from . import db, settings

logger = logging.getLogger("baseline")


class JobLogger:
    def __init__(self, job_id):
        self.job_id = job_id

    def _emit(self, level, message):
        logger.log(getattr(logging, level), message)
        if not settings.JOB_LOG_PERSIST_ENABLED:
            return
        try:
            db.fetchone(
                "INSERT INTO jobs_joblog (created_at, updated_at, job_id, level, message, context) "
                "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (db_now(), db_now(), self.job_id, level, message, db.Json({})),
            )
        except Exception as e:  # JobLogHandler swallows insert errors
            logger.error("Failed to save log for job #%s: %s", self.job_id, e)

    def debug(self, message):
        pass

    def info(self, message):
        self._emit("INFO", message)

    def warning(self, message):
        self._emit("WARNING", message)

    def error(self, message):
        self._emit("ERROR", message)


def db_now():
    import datetime

    return datetime.datetime.now()
