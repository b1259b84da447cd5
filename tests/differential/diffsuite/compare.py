"""Differences between Antenna's copy and the binary's copy, and which of them docs/compatibility.md
accepts.

A difference is named `<area> <key>` (area: row, column, progress, joblog, redis, nats, ack, backend),
for example `column main_sourceimage.detections_count (7,)` or `redis job:3:results_counts`.
compatibility.md's section "Differences the differential suite accepts" holds a table whose first
column is a glob over those names, optionally prefixed with `[tag]`: such an entry applies only
in steps the generator tagged with that situation (e.g. `[mixed-reuse]`, a result that mixes
reused and new boxes). A difference matching no row fails the suite. The list lives only in that
document, next to the reason for each entry.
"""
import difflib
import fnmatch
import json
import re
from dataclasses import dataclass

from diffsuite.services_state import ttl_matches
from diffsuite.snapshot import mask_log_line

SECTION = "## Differences the differential suite accepts"


@dataclass(frozen=True)
class Difference:
    area: str
    key: str
    antenna: str
    binary: str

    @property
    def name(self) -> str:
        return f"{self.area} {self.key}"

    def identity(self) -> tuple:
        return (self.area, self.key, self.antenna, self.binary)


@dataclass(frozen=True)
class Accepted:
    pattern: str
    reason: str
    tag: str | None = None  # only in steps the generator tagged so (a situation, not a table)


def read_accepted(path: str) -> list[Accepted]:
    text = open(path, encoding="utf-8").read()
    if SECTION not in text:
        raise SystemExit(f"{path} has no section '{SECTION}'")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    accepted = []
    for line in section.splitlines():
        m = re.match(r"^\|\s*`(?:\[([a-z0-9-]+)\]\s*)?([^`]+)`\s*\|\s*(.+?)\s*\|\s*$", line)
        if m:
            accepted.append(Accepted(m.group(2), m.group(3), m.group(1)))
    if not accepted:
        raise SystemExit(f"{path}: the section '{SECTION}' lists no differences")
    return accepted


def accepted_by(diff: Difference, accepted: list[Accepted], tags=()) -> Accepted | None:
    for entry in accepted:
        if entry.tag is not None and entry.tag not in tags:
            continue
        if fnmatch.fnmatchcase(diff.name, entry.pattern):
            return entry
    return None


def ack_differences(a: list, b: list) -> list[Difference]:
    """Answers each copy sent to its image tasks during one step: (job, image, kind) multisets."""
    from collections import Counter

    ca, cb = Counter(a), Counter(b)
    return [Difference("ack", f"job {job} image {image} {kind}", str(ca[(job, image, kind)]), str(cb[(job, image, kind)]))
            for job, image, kind in sorted(set(ca) | set(cb)) if ca[(job, image, kind)] != cb[(job, image, kind)]]


def _short(value, limit=400) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------- database


def database_differences(a: dict, b: dict) -> list[Difference]:
    diffs: list[Difference] = []
    for table in sorted(set(a) | set(b)):
        if table == "jobs_joblog":
            diffs += _job_log_differences(a.get(table, {}), b.get(table, {}))
            continue
        ta, tb = a.get(table), b.get(table)
        rows_a = ta.rows if ta else {}
        rows_b = tb.rows if tb else {}
        for key in sorted(set(rows_a) | set(rows_b)):
            va, vb = rows_a.get(key, []), rows_b.get(key, [])
            if va == vb:
                continue
            if len(va) == 1 and len(vb) == 1:
                diffs += _column_differences(table, key, dict(va[0]), dict(vb[0]))
            else:
                diffs.append(Difference("row", f"{table} {key}", f"{len(va)} row(s) {_short(va)}", f"{len(vb)} row(s) {_short(vb)}"))
    return diffs


def _column_differences(table: str, key: str, ra: dict, rb: dict) -> list[Difference]:
    diffs = []
    for column in sorted(set(ra) | set(rb)):
        va, vb = ra.get(column), rb.get(column)
        if va == vb:
            continue
        if table == "jobs_job" and column == "progress":
            diffs += _progress_differences(key, json.loads(va), json.loads(vb))
        else:
            diffs.append(Difference("column", f"{table}.{column} {key}", _short(va), _short(vb)))
    return diffs


def _progress_differences(job_key: str, a, b, path="") -> list[Difference]:
    """Job progress JSON, compared leaf by leaf; lists of stages/params are matched by their key."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _progress_differences(job_key, a.get(k), b.get(k), f"{path}.{k}" if path else k)
        return out
    if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, dict) and "key" in x for x in a + b):
        ka = {x["key"]: x for x in a}
        kb = {x["key"]: x for x in b}
        out = []
        if [x["key"] for x in a] != [x["key"] for x in b] and set(ka) == set(kb):
            out.append(Difference("progress", f"job {job_key} {path} order", _short(list(ka)), _short(list(kb))))
        for k in sorted(set(ka) | set(kb)):
            out += _progress_differences(job_key, ka.get(k), kb.get(k), f"{path}[{k}]")
        return out
    if a != b:
        return [Difference("progress", f"job {job_key} {path}", _short(a), _short(b))]
    return []


def _job_log_differences(a: dict, b: dict) -> list[Difference]:
    diffs = []
    for job in sorted(set(a) | set(b)):
        la = [f"{lvl} {mask_log_line(msg)}" for lvl, msg in a.get(job, [])]
        lb = [f"{lvl} {mask_log_line(msg)}" for lvl, msg in b.get(job, [])]
        if la == lb:
            continue
        matcher = difflib.SequenceMatcher(a=la, b=lb, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            # Keyed by the text that differs, not its position, so a difference is reported once.
            for line in la[i1:i2]:
                diffs.append(Difference("joblog", f"job {job} antenna-only: {line}", line, ""))
            for line in lb[j1:j2]:
                diffs.append(Difference("joblog", f"job {job} binary-only: {line}", "", line))
    return diffs


# ---------------------------------------------------------------- django-cachalot


def cache_differences(before_a: dict, a: dict, before_b: dict, b: dict) -> list[Difference]:
    """Every table whose rows changed since the previous snapshot must have had its cachalot key
    bumped after that snapshot began, or Antenna's processes keep serving cached queries over it.
    A difference is a table one copy left stale and the other did not."""
    status_a, status_b = _cache_status(before_a, a), _cache_status(before_b, b)
    stale = lambda status: status.startswith("stale")  # noqa: E731
    return [Difference("cache", f"{table} invalidated after it changed", status_a.get(table, "unchanged"), status_b.get(table, "unchanged"))
            for table in sorted(set(status_a) | set(status_b))
            if stale(status_a.get(table, "")) != stale(status_b.get(table, ""))]


def _cache_status(before: dict, after: dict) -> dict:
    status = {}
    for table, snapshot in after["db"].items():
        if before["db"].get(table) == snapshot:
            continue
        stamp = after["cachalot"].get(table)
        fresh = stamp is not None and stamp >= before["taken_at"]
        status[table] = "invalidated" if fresh else f"stale (key {stamp!r}, change after {before['taken_at']:.3f})"
    return status


# ---------------------------------------------------------------- Redis, NATS


def redis_differences(a: dict, b: dict, area="redis") -> list[Difference]:
    diffs = []
    for key in sorted(set(a) | set(b)):
        ea, eb = a.get(key), b.get(key)
        if ea is None or eb is None:
            diffs.append(Difference(area, key, _short(ea), _short(eb)))
            continue
        if area == "backend" and isinstance(ea["value"], dict) and isinstance(eb["value"], dict):
            # A Celery result entry field by field, so a difference names the field that differs.
            for name in sorted(set(ea["value"]) | set(eb["value"])):
                va, vb = ea["value"].get(name), eb["value"].get(name)
                if va != vb:
                    diffs.append(Difference(area, f"{key} {name}", _short(va), _short(vb)))
        elif ea["type"] != eb["type"] or ea["value"] != eb["value"]:
            diffs.append(Difference(area, key, _short(ea), _short(eb)))
        elif not ttl_matches(ea["ttl"], eb["ttl"]):
            diffs.append(Difference(f"{area}-ttl", key, str(ea["ttl"]), str(eb["ttl"])))
    return diffs


def nats_differences(a: dict, b: dict) -> list[Difference]:
    diffs = []
    for stream in sorted(set(a) | set(b)):
        sa, sb = a.get(stream), b.get(stream)
        if sa is None or sb is None:
            diffs.append(Difference("nats", f"stream {stream}", _short(sa), _short(sb)))
            continue
        for field in ("messages", "last_seq"):
            if sa[field] != sb[field]:
                diffs.append(Difference("nats", f"stream {stream} {field}", str(sa[field]), str(sb[field])))
        for consumer in sorted(set(sa["consumers"]) | set(sb["consumers"])):
            ca, cb = sa["consumers"].get(consumer), sb["consumers"].get(consumer)
            if ca != cb:
                diffs.append(Difference("nats", f"consumer {stream}/{consumer}", _short(ca), _short(cb)))
    return diffs
