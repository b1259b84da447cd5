"""Seeded sequences of steps: results as GPU workers post them, and what happens around them.

A step names images, not NATS deliveries: each copy maps an image to its own reply subject (the
subjects carry each server's timestamps). Every choice comes from one random.Random(seed), so a
failing seed replays exactly with `--seed N`.
"""
import copy
import datetime
import json
import random
from dataclasses import dataclass, field

from diffsuite.names import SPECIES

BINARY_LABELS = ["Moth", "Not a moth"]
# Names no taxon has yet (Antenna creates them), and one only a taxon's search_names holds.
UNKNOWN_SPECIES = ["Unknownia prima", "Unknownia secunda", "Unknownia tertia"]
SEARCH_NAME = "Noctua subsequa"
NOMAP_LABELS = ["morpho-a", "morpho-b", "morpho-c"]


@dataclass
class Step:
    kind: str  # result | replay | save | cancel | retry | forget_state
    job: str
    result: dict | None = None
    reply_image: str | None = None  # whose task's reply subject the result is posted with
    note: str = ""
    tags: list = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.kind} job={self.job} {self.note}".strip()


@dataclass
class JobPlan:
    name: str
    pipeline: str
    images: list
    pending: list = field(default_factory=list)  # images whose task has not been answered yet
    sent: list = field(default_factory=list)  # (result, reply_image) already posted
    done: bool = False
    saving: bool = True  # Antenna saves this job's results: its Redis state exists


class StepGenerator:
    def __init__(self, seed: int, fixture: dict, steps: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.budget = steps
        images = [str(i) for i in fixture["images"]]
        trap_b = images[12:]
        self.jobs = {
            "main": JobPlan("main", fixture["pipelines"]["main"], images),
            "second": JobPlan("second", fixture["pipelines"]["second"], trap_b),
            "cancelled": JobPlan("cancelled", fixture["pipelines"]["main"], trap_b),
            "retried": JobPlan("retried", fixture["pipelines"]["main"], trap_b),
        }
        for plan in self.jobs.values():
            plan.pending = list(plan.images)
        self.boxes: dict[str, list] = {}  # image -> boxes some result already put on it
        self.doubled: set = set()  # (image, box) stored as two detections (the same box twice in one result)
        self.classified: list = []  # (image, box, classification) sent without logits
        self.clock = datetime.datetime(2024, 6, 5, 1, 0, 0, 123456)
        self.cancelled = False
        self.retried = False

    # ------------------------------------------------------------------ sequence

    def steps(self):
        count = 0
        seen = set()
        while count < self.budget:
            # Every seed covers every kind of step: what chance has not drawn by the second half of
            # the budget is drawn then.
            step = (self._missing(seen) if count >= self.budget // 2 else None) or self._next()
            if step is None:
                break
            seen.add(step.kind)
            count += 1
            yield step
        # Whatever budget remains, every job is driven to its end, then one late redelivery.
        for plan in self.jobs.values():
            while plan.pending and not plan.done:
                yield self._result_step(plan, most_images=6)
        for plan in self.jobs.values():
            if plan.sent:
                result, reply = self.rng.choice(plan.sent)
                yield Step("replay", plan.name, result, reply, note="late redelivery after the job ended")

    def _missing(self, seen: set) -> Step | None:
        live = [p for p in self.jobs.values() if p.pending and not p.done]
        if not live:
            return None
        if "cancel" not in seen and not self.cancelled and self.jobs["cancelled"].sent and not self.jobs["cancelled"].done:
            self.cancelled = True
            self.jobs["cancelled"].done = True
            self.jobs["cancelled"].saving = False
            return Step("cancel", "cancelled", note="Job.cancel() mid-job")
        if "retry" not in seen and not self.retried and self.jobs["retried"].sent:
            self.retried = True
            plan = self.jobs["retried"]
            plan.pending = list(plan.images)
            plan.saving = True
            return Step("retry", "retried", note="Job.retry() mid-job: Antenna queues every image again")
        if "save" not in seen:
            return self._save_step(self.rng.choice(live))
        if "replay" not in seen:
            sent = [p for p in self.jobs.values() if p.sent]
            if sent:
                plan = self.rng.choice(sent)
                result, reply = self.rng.choice(plan.sent)
                return self._replay(plan, result, reply, "exact replay (NATS redelivery)")
        return None

    def _next(self) -> Step | None:
        live = [p for p in self.jobs.values() if p.pending and not p.done]
        if not live:
            return None
        roll = self.rng.random()
        if not self.cancelled and roll < 0.05 and self.jobs["cancelled"].sent:
            self.cancelled = True
            self.jobs["cancelled"].done = True
            self.jobs["cancelled"].saving = False
            return Step("cancel", "cancelled", note="Job.cancel() mid-job")
        if not self.retried and roll < 0.10 and self.jobs["retried"].sent:
            self.retried = True
            plan = self.jobs["retried"]
            plan.pending = list(plan.images)
            plan.saving = True
            return Step("retry", "retried", note="Job.retry() mid-job: Antenna queues every image again")
        sent = [p for p in self.jobs.values() if p.sent]
        if roll < 0.20 and sent:
            plan = self.rng.choice(sent)
            result, reply = self.rng.choice(plan.sent)
            return self._replay(plan, result, reply, "exact replay (NATS redelivery)")
        if roll < 0.25 and sent:
            plan = self.rng.choice(sent)
            result, reply = self.rng.choice(plan.sent)
            if self._without_logits(result):
                filled = self._fill_logits(result)
                return self._replay(plan, filled, reply, "re-sent with the logits the first result lacked")
        if roll < 0.28:
            plan = self.rng.choice(live)
            plan.saving = False
            return Step("forget_state", plan.name, note="the job's Redis state disappears")
        plan = self.rng.choice(live)
        if roll < 0.38:
            return self._error_step(plan)
        if roll < 0.43:
            return self._save_step(plan)
        return self._result_step(plan)

    # ------------------------------------------------------------------ results

    def _replay(self, plan: JobPlan, result: dict, reply: str, note: str) -> Step:
        # A replay whose box two detections hold (listed twice in one result) updates one of them,
        # chosen by Antenna's .first() over a sort tie: the same situation as a reuse of such a box.
        keys = [(d["source_image_id"], json.dumps(d["bbox"], sort_keys=True)) for d in result.get("detections", [])]
        tags = ["ambiguous-reuse"] if len(keys) != len(set(keys)) or any(k in self.doubled for k in keys) else []
        return Step("replay", plan.name, result, reply, note=note, tags=tags)

    @staticmethod
    def _without_logits(result: dict) -> bool:
        return any(c["logits"] is None for d in result.get("detections", []) for c in d["classifications"])

    def _fill_logits(self, result: dict) -> dict:
        filled = copy.deepcopy(result)
        for d in filled["detections"]:
            for c in d["classifications"]:
                if c["logits"] is None:
                    c["logits"] = [round(self.rng.uniform(-5, 5), 5) for _ in c["scores"]]
        return filled

    def _tick(self) -> str:
        self.clock += datetime.timedelta(seconds=self.rng.randint(1, 90), microseconds=self.rng.randint(0, 999))
        return self.clock.isoformat()

    def _take(self, plan: JobPlan, most: int) -> list:
        n = min(len(plan.pending), self.rng.randint(1, most))
        chosen = self.rng.sample(plan.pending, n)
        for image in chosen:
            plan.pending.remove(image)
        return chosen

    def _error_step(self, plan: JobPlan) -> Step:
        image = self._take(plan, 1)[0]
        variant = self.rng.choice(["id", "id", "none", "empty"])
        image_id = {"id": image, "none": None, "empty": ""}[variant]
        if variant != "id":
            plan.pending.append(image)  # its task is answered, but Antenna cannot tell which image failed
        result = {"error": f"GPU worker failed on image {image}: CUDA out of memory", "image_id": image_id}
        plan.sent.append((result, image))
        return Step("result", plan.name, result, image, note=f"error result, image_id={image_id!r}")

    def _result_step(self, plan: JobPlan, most_images: int = 3) -> Step:
        images = self._take(plan, most_images)
        result, note, tags = self._result(plan, images, saved=plan.saving)
        reply = images[0]
        plan.sent.append((result, reply))
        return Step("result", plan.name, result, reply, note=note, tags=tags)

    def _save_step(self, plan: JobPlan) -> Step:
        """A sync_api job's batch: MLJob.process_images sends save_results(results_json, job_id) to
        ml_results and waits for its result; no Redis state or NATS task is involved."""
        images = self.rng.sample(plan.images, self.rng.randint(1, 2))
        result, note, tags = self._result(plan, images, saved=True)
        return Step("save", plan.name, result, note=f"sync_api save_results sub-task, {note}", tags=tags)

    def _result(self, plan: JobPlan, images: list, saved: bool) -> tuple[dict, str, list]:
        reuse = self.rng.random() < 0.3 and all(self.boxes.get(i) for i in images)
        detections = []
        for image in images:
            count = self.rng.choice([0, 0, 1, 2, 3, 4])
            for _ in range(count):
                if reuse:
                    box = self.rng.choice(self.boxes[image])
                else:
                    box = self._new_box()
                    if self.rng.random() < 0.1:  # the same box twice in one result
                        detections.append(self._detection(plan, image, box))
                detections.append(self._detection(plan, image, box))
        tags = ["mixed-reuse"] if self._mixes_reused_and_new(detections) else []
        keys = [(d["source_image_id"], json.dumps(d["bbox"], sort_keys=True)) for d in detections]
        if any(k in self.doubled for k in keys):
            tags.append("ambiguous-reuse")
        if saved:
            new = [k for k, d in zip(keys, detections) if d["bbox"] not in self.boxes.get(d["source_image_id"], [])]
            self.doubled.update(k for k in new if new.count(k) > 1)
        for d in detections if saved else []:  # boxes of results Antenna drops are not in its database
            self.boxes.setdefault(d["source_image_id"], [])
            if d["bbox"] not in self.boxes[d["source_image_id"]]:
                self.boxes[d["source_image_id"]].append(d["bbox"])
        result = {
            "pipeline": plan.pipeline,
            "algorithms": {},
            "total_time": round(self.rng.uniform(0.2, 3.0), 3),
            "source_images": [{"id": i, "url": f"http://127.0.0.1:9/differential/{i}.jpg"} for i in images],
            "detections": detections,
            "errors": None,
        }
        note = f"{len(images)} image(s), {len(detections)} detection(s)" + (", boxes reused" if reuse else "")
        note += ", reused and new boxes interleaved" if "mixed-reuse" in tags else ""
        note += ", reuses a box stored twice" if "ambiguous-reuse" in tags else ""
        return result, note, tags

    def _mixes_reused_and_new(self, detections: list) -> bool:
        """Antenna's create_detections returns the reused detections first, then the new ones, and
        create_classifications zips that list with the responses: a new box listed before a reused
        one gets another detection's classifications (compatibility.md, "Classifications on their
        own detection"). The lookup is by image and box, whichever algorithm made it."""
        new_seen = False
        for d in detections:
            reused = d["bbox"] in self.boxes.get(d["source_image_id"], [])
            if reused and new_seen:
                return True
            new_seen = new_seen or not reused
        return False

    def _new_box(self) -> dict:
        x, y = self.rng.randint(0, 1700), self.rng.randint(0, 900)
        w, h = self.rng.randint(20, 200), self.rng.randint(20, 160)
        return {"x1": float(x), "y1": float(y), "x2": float(x + w), "y2": float(y + h) + 0.5}

    def _detection(self, plan: JobPlan, image: str, box: dict) -> dict:
        detector = "diff-detector" if plan.pipeline == "diff-pipeline" else "diff-detector-b"
        classifications = []
        if plan.pipeline == "diff-pipeline":
            classifications.append(self._classification("diff-binary", BINARY_LABELS, terminal=False))
            if self.rng.random() < 0.3:
                classifications.append(self._classification("diff-nomap", NOMAP_LABELS, terminal=True,
                                                            send_labels=self.rng.random() < 0.5))
        classifications.append(self._classification("diff-species", SPECIES, terminal=True))
        return {
            "source_image_id": image,
            "bbox": box,
            "inference_time": round(self.rng.uniform(0.01, 0.5), 4),
            "algorithm": {"name": detector, "key": detector},
            "timestamp": self._tick(),
            "crop_image_url": None,
            "classifications": classifications,
        }

    def _classification(self, algorithm: str, labels: list, terminal: bool, send_labels=False) -> dict:
        scores = [round(self.rng.random(), 6) for _ in labels]
        best = max(range(len(scores)), key=scores.__getitem__)
        name = labels[best]
        if algorithm == "diff-species":
            roll = self.rng.random()
            if roll < 0.15:
                name = self.rng.choice(UNKNOWN_SPECIES)
            elif roll < 0.22:
                name = SEARCH_NAME
        logits = [round(self.rng.uniform(-5, 5), 5) for _ in labels] if self.rng.random() < 0.6 else None
        return {
            "classification": name,
            "labels": labels if send_labels else None,
            "scores": scores,
            "logits": logits,
            "inference_time": round(self.rng.uniform(0.01, 0.2), 4),
            "algorithm": {"name": algorithm, "key": algorithm},
            "terminal": terminal,
            "timestamp": self._tick(),
        }
