"""Differential suite: every step runs through Antenna's own process_nats_pipeline_result on one
copy of the world and through the published native binary on the other, and the two copies are
compared after every step. Differences fail the run unless docs/compatibility.md accepts them.

    scripts/differential.sh [--seeds N] [--seed S] [--steps M] [--keep] [--stop-after STEP]
"""
import argparse
import json
import os
import subprocess
import sys
import time
import uuid

from diffsuite import compare
from diffsuite.binary import NativeBinary
from diffsuite.generator import StepGenerator
from diffsuite.servers import PrivateServers
from diffsuite.world import Copy, Postgres, Worker, unique

SETTLE_SECONDS = 6.0
# Antenna writes its throughput line only once a job has run for 0.05 min; results sent after
# this pause land on the same side of that threshold on both copies.
THROUGHPUT_THRESHOLD_SECONDS = 3.5


def parse_args(argv):
    p = argparse.ArgumentParser(prog="differential", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=2, help="how many seeds to run (1, 2, ... N)")
    p.add_argument("--seed", type=int, action="append", help="run exactly this seed (repeatable); overrides --seeds")
    p.add_argument("--first-seed", type=int, default=1, help="first seed when --seeds is used")
    p.add_argument("--steps", type=int, default=24, help="random steps per seed before every job is driven to its end")
    p.add_argument("--binary", default=os.environ.get("INGEST_BINARY", "artifacts/publish/antenna-ingest"))
    p.add_argument("--compatibility", default="docs/compatibility.md")
    p.add_argument("--report", help="write the report as JSON here")
    p.add_argument("--keep", action="store_true", help="keep the databases and logs of the last seed")
    p.add_argument("--stop-after", type=int, default=0, help="end each seed after this step (with --keep: inspect both copies as they were)")
    p.add_argument("--work-dir", default=".local/differential")
    return p.parse_args(argv)


class Suite:
    def __init__(self, args):
        self.args = args
        self.accepted = compare.read_accepted(args.compatibility)
        self.work_dir = os.path.abspath(args.work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        self.binary_path = os.path.abspath(args.binary)
        if not os.access(self.binary_path, os.X_OK):
            raise SystemExit(f"native binary not found at {self.binary_path}: run scripts/publish.sh first")
        self.oracle = {"pythonpath": os.environ["ANTENNA_PYTHONPATH"] + ":" + os.path.dirname(os.path.dirname(__file__)),
                       "source": os.environ["ANTENNA_SOURCE_DIR"]}
        self.postgres = Postgres(
            admin_dsn=os.environ["INGEST_DIRECT_DATABASE_URL"].rsplit("/", 1)[0] + "/postgres",
            direct_url=os.environ["INGEST_DIRECT_DATABASE_URL"],
            bouncer_url=os.environ["DATABASE_URL"],
        )
        self.broker = os.environ["CELERY_BROKER_URL"]
        self.report = {"seeds": [], "accepted_entries": [a.pattern for a in self.accepted]}
        self.tables: set = set()
        self.failures = 0

    # ------------------------------------------------------------ template

    def build_template(self) -> None:
        self.template = unique("diffsuite_template")
        started = time.monotonic()
        self.postgres.execute(f'CREATE DATABASE "{self.template}"')
        url = f"{self.postgres.direct_url}/{self.template}"
        subprocess.run([os.path.join(os.environ["ROOT_DIR"], "scripts/antenna-oracle.sh"), "migrate", url], check=True,
                       stdout=open(os.path.join(self.work_dir, "migrate.log"), "wb"), stderr=subprocess.STDOUT)
        servers = PrivateServers("template").start()
        try:
            env = {**os.environ, "PYTHONPATH": self.oracle["pythonpath"], "DJANGO_SETTINGS_MODULE": "antenna_settings",
                   "DATABASE_URL": url, "REDIS_URL": servers.redis_url, "NATS_URL": servers.nats_url}
            worker = Worker("template", env, os.path.join(self.work_dir, "worker-template.log"), self.oracle["source"])
            self.fixture = worker.call("build_fixtures")
            worker.stop()
        finally:
            servers.stop()
        print(f"differential: Antenna's migrations and fixtures in {time.monotonic() - started:.1f} s "
              f"({len(self.fixture['images'])} captures, jobs {self.fixture['jobs']})", flush=True)

    # ------------------------------------------------------------ one seed

    def run_seed(self, seed: int) -> None:
        names = {"antenna": unique(f"diffsuite_s{seed}_antenna"), "binary": unique(f"diffsuite_s{seed}_binary")}
        queue = unique("diffsuite_ml_results")
        copies = {}
        seed_report = {"seed": seed, "steps": []}
        self.report["seeds"].append(seed_report)
        try:
            for side, db in names.items():
                self.postgres.clone(self.template, db)
                copies[side] = Copy(side, db, self.postgres, self.work_dir)
            antenna, binary = copies["antenna"], copies["binary"]
            antenna.start_worker(self.oracle, {"CELERY_BROKER_URL": "memory://"})
            binary.start_worker(self.oracle, {"CELERY_BROKER_URL": self.broker, "DIFFSUITE_CELERY_QUEUE": queue})
            for job_name, job_id in self.fixture["jobs"].items():
                for copy in copies.values():
                    copy.worker.call("start_job", job_id=job_id)
                    self._reserve(copy, job_name, job_id)
            binary.binary = NativeBinary(self.binary_path, self._binary_env(binary, queue),
                                         os.path.join(self.work_dir, f"binary-s{seed}.log")).start()
            time.sleep(THROUGHPUT_THRESHOLD_SECONDS)
            self.settled = 0
            self.carried: set = set()
            self.current: list = []  # (difference, the entry accepting it) after the last step
            self.previous: dict = {}  # the snapshots the last step settled on, per copy
            self._compare(seed_report, 0, "jobs started (Antenna's job.run() on both copies)", (), antenna, binary)
            for index, step in enumerate(StepGenerator(seed, self.fixture, self.args.steps).steps(), start=1):
                # Both copies get the same Celery task id, so their result-backend entries compare.
                step.task_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"diffsuite/{seed}/{index}"))
                self._apply(step, antenna, binary)
                self._compare(seed_report, index, step.describe(), step.tags, antenna, binary, step)
                if index == self.args.stop_after:
                    print(f"  seed {seed}: stopped after step {index}; databases {', '.join(names.values())}", flush=True)
                    break
        finally:
            for copy in copies.values():
                copy.stop()
            self._delete_queues(queue)
            if not self.args.keep:
                for db in names.values():
                    self.postgres.drop(db)

    def _binary_env(self, copy: Copy, queue: str) -> dict:
        return {
            "DATABASE_URL": f"{self.postgres.bouncer_url}/{copy.database}",
            "REDIS_URL": copy.servers.redis_url,
            "NATS_URL": copy.servers.nats_url,
            "CELERY_BROKER_URL": self.broker,
            "INGEST_CELERY_QUEUE": queue,
            "INGEST_CELERY_FALLBACK_QUEUE": f"{queue}_unhandled",
            "INGEST_CELERY_REJECTED_QUEUE": f"{queue}_rejected",
            "INGEST_CROPS": "false",
            "MEDIA_ROOT": os.path.join(self.work_dir, "media"),
            "INGEST_DB_CONNECTIONS": "4",
        }

    def _reserve(self, copy: Copy, job_name: str, job_id: int) -> None:
        for _ in range(20):
            tasks = copy.worker.call("reserve", job_id=job_id, count=100)
            if not tasks:
                return
            for t in tasks:
                copy.remember(job_name, t["image_id"], t["reply_subject"])

    def _apply(self, step, antenna: Copy, binary: Copy) -> None:
        job_id = self.fixture["jobs"][step.job]
        if step.kind in ("result", "replay"):
            for copy in (antenna, binary):
                reply = copy.reply_subjects[(step.job, step.reply_image)]
                if copy is antenna:
                    outcome = copy.worker.call("process", job_id=job_id, result=step.result, reply_subject=reply,
                                               task_id=step.task_id)
                    step.antenna_raised = outcome["raised"]
                else:
                    copy.worker.call("publish", job_id=job_id, result=step.result, reply_subject=reply, task_id=step.task_id)
                    self.settled += 1
                    copy.binary.wait_settled(self.settled)
        elif step.kind == "save":
            expected = antenna.worker.call("save", job_id=job_id, result=step.result, task_id=step.task_id)
            # The real Celery client waits for the binary's result as MLJob.process_images does.
            seen = binary.worker.call("publish_save", job_id=job_id, result=step.result, task_id=step.task_id)
            self.settled += 1
            binary.binary.wait_settled(self.settled)
            if (seen["state"], seen.get("value")) != (expected["state"], expected["value"]):
                step.client_difference = compare.Difference(
                    "celery-client", f"AsyncResult({step.task_id}).get()", str(expected), str(seen))
        elif step.kind in ("cancel", "retry", "forget_state"):
            for copy in (antenna, binary):
                copy.worker.call(step.kind, job_id=job_id)
                if step.kind == "retry":
                    self._reserve(copy, step.job, job_id)
            if step.kind == "retry":
                time.sleep(THROUGHPUT_THRESHOLD_SECONDS)
        else:
            raise ValueError(step.kind)

    # ------------------------------------------------------------ comparing

    def _differences(self, a: dict, b: dict) -> list:
        return (compare.database_differences(a["db"], b["db"])
                + compare.redis_differences(a["redis"], b["redis"])
                + compare.redis_differences(a["backend"], b["backend"], area="backend")
                + compare.nats_differences(a["nats"], b["nats"]))

    def _compare(self, seed_report: dict, index: int, description: str, tags, antenna: Copy, binary: Copy, step=None) -> None:
        a = antenna.snapshot()
        self.tables.update(a["db"])
        acks_a, acks_b = antenna.take_acks(), []
        deadline = time.monotonic() + SETTLE_SECONDS
        lingering = self._lingering_tags()
        tags = tuple(tags) + tuple(t for t in lingering if t not in tags)
        while True:
            acks_b += binary.take_acks()
            # The binary recounts events and deployments after the ack, off the result path: a
            # snapshot taken before its marks are cleared can match Antenna by showing stale counts.
            while binary.counts_pending() and time.monotonic() < deadline:
                time.sleep(0.05)
            b = binary.snapshot()
            diffs = self._differences(a, b)
            step_diffs = compare.ack_differences(acks_a, acks_b)
            if self.previous:
                step_diffs += compare.cache_differences(self.previous["antenna"], a, self.previous["binary"], b)
            if getattr(step, "client_difference", None):
                step_diffs.append(step.client_difference)
            unexplained = [d for d in diffs if d.identity() not in self.carried and not compare.accepted_by(d, self.accepted, tags)]
            unexplained += [d for d in step_diffs if not compare.accepted_by(d, self.accepted, tags)]
            if not unexplained or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        new = [d for d in diffs if d.identity() not in self.carried] + step_diffs
        accepted = [(d, compare.accepted_by(d, self.accepted, tags)) for d in new]
        failing = [d for d, entry in accepted if entry is None]
        self.carried = {d.identity() for d in diffs}  # acks and cache checks are per step, never carried
        self.current = [(d, compare.accepted_by(d, self.accepted, tags)) for d in diffs]
        self.previous = {"antenna": a, "binary": b}
        seed_report["steps"].append({
            "index": index, "step": description, "differences": len(diffs),
            "new_accepted": sorted({entry.pattern for _, entry in accepted if entry}),
            "failing": [d.__dict__ for d in failing],
        })
        status = "ok" if not failing else f"FAIL ({len(failing)} unexplained)"
        accepted_note = f", {len(new) - len(failing)} accepted" if len(new) > len(failing) else ""
        print(f"  seed {seed_report['seed']} step {index:3d} {status:22s} {description}{accepted_note}", flush=True)
        for d in failing[:25]:
            print(f"      {d.area} {d.key}\n        antenna: {d.antenna}\n        binary:  {d.binary}", flush=True)
        self.failures += len(failing)

    def _lingering_tags(self) -> set:
        """Tags whose situation is still in the data: a tagged step's rows that differ (say the
        occurrence a tie gave another determination) keep differing until a later step rewrites
        them, and the counts computed from those rows differ with them, in whatever step they are
        recounted. A tag lingers while a row difference it accepted is still present."""
        return {entry.tag for d, entry in getattr(self, "current", [])
                if entry is not None and entry.tag is not None and d.area == "row"}

    def _delete_queues(self, queue: str) -> None:
        from kombu import Connection

        with Connection(self.broker) as conn:
            channel = conn.default_channel
            for name in (queue, f"{queue}_unhandled", f"{queue}_rejected"):
                try:
                    channel.queue_delete(name)
                except Exception:
                    channel = conn.channel()

    # ------------------------------------------------------------ run

    def run(self) -> int:
        seeds = self.args.seed or list(range(self.args.first_seed, self.args.first_seed + self.args.seeds))
        started = time.monotonic()
        self.build_template()
        try:
            for seed in seeds:
                print(f"differential: seed {seed}", flush=True)
                try:
                    self.run_seed(seed)
                except Exception as e:
                    self.failures += 1
                    print(f"differential: seed {seed} could not run: {e}", flush=True)
                    self.report["seeds"][-1]["error"] = str(e)
        finally:
            if not self.args.keep:
                self.postgres.drop(self.template)
        steps = sum(len(s["steps"]) for s in self.report["seeds"])
        accepted = sorted({p for s in self.report["seeds"] for st in s["steps"] for p in st["new_accepted"]})
        self.report.update({"steps": steps, "failures": self.failures, "seconds": round(time.monotonic() - started, 1),
                            "tables_compared": sorted(self.tables)})
        print(f"differential: {len(seeds)} seed(s), {steps} steps compared in {self.report['seconds']} s; "
              f"{len(self.tables)} tables compared after every step (plus Redis, result backend, NATS streams, acks)")
        print(f"  tables: {', '.join(sorted(self.tables))}")
        print(f"differential: {self.failures} unexplained difference(s); accepted entries that occurred: {len(accepted)}")
        for pattern in accepted:
            print(f"  accepted: {pattern}")
        if self.args.report:
            with open(self.args.report, "w") as f:
                json.dump(self.report, f, indent=2, default=str)
        if self.failures:
            print(f"differential: FAILED; replay with --seed N (seeds {seeds})")
        return 1 if self.failures else 0


def main(argv=None) -> int:
    return Suite(parse_args(argv if argv is not None else sys.argv[1:])).run()


if __name__ == "__main__":
    sys.exit(main())
