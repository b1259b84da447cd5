"""A copy's observable state in a form two copies can be compared in.

Rows are keyed by natural keys, not ids: rows made by a step get ids from sequences in whatever
order each implementation allocates them, so every id column and every foreign key is replaced
by the natural key of the row it names (recursively). Rows that share a natural key (two
identical boxes in one result) are kept as a multiset. Timestamps the database or the clock sets
(created_at, updated_at, ...) are masked; job log lines are compared per job in order, with the
parts that name a moment or a NATS delivery masked.
"""
import json
import re
from dataclasses import dataclass, field

import psycopg2
import psycopg2.extras

# Tables whose rows are made by results get natural keys; fixture rows keep their id (identical in
# both copies, cloned from one template).
NATURAL_KEYS = {
    "main_detection": ("source_image_id", "bbox", "detection_algorithm_id"),
    "main_classification": ("detection_id", "algorithm_id", "taxon_id", "score"),
    "main_taxon": ("name",),
    "main_taxalist": ("name",),
    "ml_algorithm": ("key", "version"),
    "ml_algorithmcategorymap": ("labels", "version"),
    "ml_pipeline": ("slug",),
}
# Occurrences have no columns of their own to key on: an occurrence is the detections it groups.
OCCURRENCE_TABLE = "main_occurrence"

ALWAYS_MASKED = {"created_at", "updated_at"}
MASKED = {
    # Set from the clock by Antenna's job.run()/update paths; compared as set/unset only.
    "jobs_job": {"started_at", "finished_at", "scheduled_at", "last_checked_at"},
}
# Compared by their own rules (job progress JSON and job log lines), not as rows.
SEPARATE = {"jobs_joblog"}
IGNORED_TABLES = {"django_session", "django_admin_log", "django_celery_beat_periodictasks"}


@dataclass
class TableSnapshot:
    rows: dict = field(default_factory=dict)  # natural key -> sorted list of value tuples
    columns: tuple = ()


def _jsonable(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class Database:
    """Reads every table of one copy and canonicalises it."""

    def __init__(self, dsn: str):
        self.dsn = dsn

    def read(self) -> dict:
        with psycopg2.connect(self.dsn) as conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
            tables = [r["table_name"] for r in cur.fetchall() if r["table_name"] not in IGNORED_TABLES]
            cur.execute(
                """SELECT cl.relname AS tbl, a.attname AS col, rcl.relname AS ref
                   FROM pg_constraint c
                   JOIN pg_class cl ON cl.oid = c.conrelid
                   JOIN pg_class rcl ON rcl.oid = c.confrelid
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                   JOIN pg_namespace n ON n.oid = cl.relnamespace
                   WHERE c.contype = 'f' AND n.nspname = 'public'"""
            )
            foreign = {(r["tbl"], r["col"]): r["ref"] for r in cur.fetchall()}
            raw = {}
            for table in tables:
                cur.execute(f'SELECT * FROM "{table}"')
                raw[table] = [dict(r) for r in cur.fetchall()]
                cur.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema='public' AND table_name=%s "
                    "ORDER BY ordinal_position",
                    (table,),
                )
                raw.setdefault("__columns__", {})[table] = [r["column_name"] for r in cur.fetchall()]
        return _Canonicaliser(raw, foreign).run()


class _Canonicaliser:
    def __init__(self, raw: dict, foreign: dict):
        self.columns = raw.pop("__columns__")
        self.raw = raw
        self.foreign = foreign
        self.by_id = {t: {r["id"]: r for r in rows if "id" in r} for t, rows in raw.items()}
        self._keys: dict = {}
        detections = raw.get("main_detection", [])
        self._occurrence_members = {}
        for d in detections:
            if d.get("occurrence_id") is not None:
                self._occurrence_members.setdefault(d["occurrence_id"], []).append(d)

    def ref(self, table: str, row_id):
        if row_id is None:
            return None
        row = self.by_id.get(table, {}).get(row_id)
        if row is None:
            return ("missing", table, row_id)
        return (table, self.key(table, row))

    def key(self, table: str, row: dict):
        memo = (table, row.get("id"))
        if memo[1] is not None and memo in self._keys:
            return self._keys[memo]
        if table == OCCURRENCE_TABLE:
            members = self._occurrence_members.get(row["id"], [])
            value = ("detections",) + tuple(sorted(repr(self.key("main_detection", d)) for d in members))
        elif table in NATURAL_KEYS:
            value = tuple(self.value(table, c, row[c]) for c in NATURAL_KEYS[table])
        elif self.is_link_table(table):
            value = tuple(self.value(table, c, row[c]) for c in self.columns[table] if c != "id")
        elif "id" in row:
            value = (row["id"],)
        else:
            value = tuple(self.value(table, c, row[c]) for c in self.columns[table])
        if memo[1] is not None:
            self._keys[memo] = value
        return value

    def is_link_table(self, table: str) -> bool:
        """A many-to-many table: an id and foreign keys only; its rows are the pairs they link."""
        others = [c for c in self.columns[table] if c != "id"]
        return bool(others) and all((table, c) in self.foreign for c in others)

    def value(self, table: str, column: str, value):
        target = self.foreign.get((table, column))
        if target is not None:
            return repr(self.ref(target, value))
        return _jsonable(value)

    def masked(self, table: str, row: dict) -> set:
        masked = set(ALWAYS_MASKED) | MASKED.get(table, set())
        masked |= {c for c in row if c.endswith("_updated_at")}  # e.g. calculated_fields_updated_at: the clock
        if table == "main_detection" and row.get("bbox") is None:
            masked.add("detection_time")  # null markers are stamped with now()
        return masked

    def run(self) -> dict:
        out = {}
        for table, rows in self.raw.items():
            if table in SEPARATE:
                continue
            key_columns = set(NATURAL_KEYS.get(table, ()))
            if self.is_link_table(table):
                key_columns = set(self.columns[table]) - {"id"}
            natural = table in NATURAL_KEYS or table == OCCURRENCE_TABLE or self.is_link_table(table)
            snap = TableSnapshot(columns=tuple(self.columns[table]))
            for row in rows:
                masked = self.masked(table, row)
                values = []
                for c in self.columns[table]:
                    if c in key_columns or (natural and c == "id"):
                        continue
                    if c in masked:
                        values.append((c, "<set>" if row[c] is not None else None))
                    else:
                        values.append((c, self.value(table, c, row[c])))
                snap.rows.setdefault(repr(self.key(table, row)), []).append(tuple(values))
            for k in snap.rows:
                snap.rows[k].sort(key=repr)
            out[table] = snap
        out["jobs_joblog"] = self._job_logs()
        return out

    def _job_logs(self) -> dict:
        logs: dict = {}
        for row in sorted(self.raw.get("jobs_joblog", []), key=lambda r: r["id"]):
            logs.setdefault(row["job_id"], []).append((row["level"], row["message"]))
        return logs


# ---------------------------------------------------------------- job log masks

_MASKS = [
    # A NATS delivery's reply subject carries the delivery's timestamp and sequence numbers.
    (re.compile(r"\$JS\.ACK\.[A-Za-z0-9_.\-]+"), "<reply-subject>"),
    (re.compile(r"in \d+\.\d+ ?s(econds)?\b"), "in <seconds>"),
    (re.compile(r"elapsed=[0-9hms ]+"), "elapsed=<elapsed>"),
    (re.compile(r"rate=[0-9.]+ imgs/min, ETA=[0-9hms ]+"), "rate=<rate>"),
    (re.compile(r"sub-task [0-9a-f\-]{36}"), "sub-task <task-id>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
]


def mask_log_line(message: str) -> str:
    for pattern, replacement in _MASKS:
        message = pattern.sub(replacement, message)
    return message
