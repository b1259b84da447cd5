"""save_results, statement for statement (antenna-db-write-path.md §1-§2, steps S1-S16).

Each function names the step it reproduces. Every query is one round trip in autocommit, as
Django issues it for the Celery task; bulk_create / bulk_update / M2M add run inside their own
BEGIN ... COMMIT. Lazy foreign-key loads are explicit queries at the point Django would make them.
"""

import collections
import datetime
import json
import time

from . import db, schemas
from .joblog import JobLogger

DETECTION_TASK_TYPES = ("detection", "localization", "segmentation")

DEFAULT_STAGES = []  # ml_pipeline.stages of a placeholder pipeline; never created in the benchmark


class PipelineNotConfigured(Exception):
    pass


def now():
    return datetime.datetime.now()


# ---------------------------------------------------------------- S1 / S4

def pipeline_get_or_create(slug, job_logger=None):
    row = db.dictone("SELECT * FROM ml_pipeline WHERE slug = %s LIMIT 21", (slug,))
    if row is None:
        with db.atomic():
            row = db.dictone(
                "INSERT INTO ml_pipeline (created_at, updated_at, name, slug, version, version_name, description, stages, default_config) "
                "VALUES (%s, %s, %s, %s, 1, '', '', %s, '{}') RETURNING *",
                (now(), now(), slug, slug, db.Json(DEFAULT_STAGES)),
            )
        if job_logger:
            job_logger.warning(f"The pipeline returned by the ML backend was not recognized, created a placeholder: {slug}")
    return row


# ---------------------------------------------------------------- S8 create_detections

def _images_for(ids):
    """SourceImage.objects.filter(pk__in=ids): the Meta ordering joins deployment and event."""
    if not ids:
        return []  # Django skips a query whose IN list is empty
    return db.dictall(
        "SELECT si.* FROM main_sourceimage si "
        "LEFT OUTER JOIN main_deployment dep ON si.deployment_id = dep.id "
        "LEFT OUTER JOIN main_event ev ON si.event_id = ev.id "
        "WHERE si.id IN %s ORDER BY dep.name ASC, ev.start ASC, si.timestamp ASC",
        (tuple(int(i) for i in ids),),
    )


def _save_detection(detection):
    """Detection.save(): full-row UPDATE; a missing timestamp is filled from the image and saved again."""
    _update_detection_row(detection)
    if detection["timestamp"] is None:
        image = db.dictone("SELECT * FROM main_sourceimage WHERE id = %s LIMIT 21", (detection["source_image_id"],))
        detection["timestamp"] = image["timestamp"]
        _update_detection_row(detection)


def _update_detection_row(d):
    d["updated_at"] = now()
    db.execute(
        "UPDATE main_detection SET created_at = %s, updated_at = %s, bbox = %s, \"timestamp\" = %s, path = %s, frame_num = %s, "
        "detection_time = %s, detection_score = %s, similarity_vector = %s, occurrence_id = %s, source_image_id = %s, "
        "detection_algorithm_id = %s WHERE id = %s",
        (
            d["created_at"], d["updated_at"], db.Json(d["bbox"]) if d["bbox"] is not None else None, d["timestamp"], d["path"],
            d["frame_num"], d["detection_time"], d["detection_score"],
            db.Json(d["similarity_vector"]) if d["similarity_vector"] is not None else None,
            d["occurrence_id"], d["source_image_id"], d["detection_algorithm_id"], d["id"],
        ),
    )


def get_or_create_detection(image, resp, algorithms_known):
    serialized_bbox = [resp.bbox.x1, resp.bbox.y1, resp.bbox.x2, resp.bbox.y2] if resp.bbox is not None else None
    if serialized_bbox is None:
        try:
            algorithm = algorithms_known[resp.algorithm.key]
        except KeyError as err:
            raise PipelineNotConfigured(f"Detection algorithm {resp.algorithm.key} is not a known algorithm.") from err
        existing = db.dictone(
            "SELECT * FROM main_detection WHERE source_image_id = %s AND detection_algorithm_id = %s AND bbox IS NULL "
            "ORDER BY frame_num ASC, \"timestamp\" ASC LIMIT 1",
            (image["id"], algorithm["id"]),
        )
    else:
        existing = db.dictone(
            "SELECT * FROM main_detection WHERE source_image_id = %s AND bbox = %s ORDER BY frame_num ASC, \"timestamp\" ASC LIMIT 1",
            (image["id"], db.Json(serialized_bbox)),
        )
    crop_url = resp.crop_image_url if resp.crop_image_url and resp.crop_image_url.strip("/") else None
    if existing:
        if not existing["path"]:
            existing["path"] = crop_url
            _save_detection(existing)
        existing["_image"] = None  # not cached: a later .source_image access loads it
        return existing, False
    if serialized_bbox is not None:
        try:
            algorithm = algorithms_known[resp.algorithm.key]
        except KeyError as err:
            raise PipelineNotConfigured(f"Detection algorithm {resp.algorithm.key} is not a known algorithm.") from err
    return {
        "id": None,
        "source_image_id": image["id"],
        "bbox": serialized_bbox,
        "timestamp": image["timestamp"],
        "path": crop_url,
        "detection_time": resp.timestamp,
        "detection_algorithm_id": algorithm["id"],
        "occurrence_id": None,
        "frame_num": None,
        "detection_score": None,
        "similarity_vector": None,
        "_image": image,
    }, True


def create_detections(responses, algorithms_known, job_logger):
    image_ids = {r.source_image_id for r in responses}
    images = {str(i["id"]): i for i in _images_for(image_ids)}
    existing, new = [], []
    for resp in responses:
        image = images.get(resp.source_image_id)
        if not image:
            job_logger.error(f"Source image {resp.source_image_id} not found, skipping Detection creation")
            continue
        detection, created = get_or_create_detection(image, resp, algorithms_known)
        (new if created else existing).append(detection)
    if new:
        created_at = now()
        values = []
        params = []
        for d in new:
            values.append("(%s, %s, %s, %s, %s, NULL, %s, NULL, NULL, NULL, %s, %s)")
            params += [created_at, created_at, db.Json(d["bbox"]) if d["bbox"] is not None else None, d["timestamp"], d["path"],
                       d["detection_time"], d["source_image_id"], d["detection_algorithm_id"]]
            d["created_at"] = d["updated_at"] = created_at
        with db.atomic():
            ids = db.fetchall(
                "INSERT INTO main_detection (created_at, updated_at, bbox, \"timestamp\", path, frame_num, detection_time, "
                "detection_score, similarity_vector, occurrence_id, source_image_id, detection_algorithm_id) VALUES "
                + ", ".join(values) + " RETURNING id",
                params,
            )
        for d, (pk,) in zip(new, ids):
            d["id"] = pk
    job_logger.info(
        f"Created {len(new)} new detections, updated {len(existing)} existing detections, for {len(image_ids)} source image(s)"
    )
    return existing + new


# ---------------------------------------------------------------- S9 create_classifications

def _category_map(algorithm):
    """algorithm.category_map: loaded once per algorithm object (cached on it afterwards)."""
    if "_category_map" not in algorithm:
        if algorithm["category_map_id"] is None:
            algorithm["_category_map"] = None
        else:
            row = db.dictone("SELECT * FROM ml_algorithmcategorymap WHERE id = %s LIMIT 21", (algorithm["category_map_id"],))
            if isinstance(row["data"], str):
                row["data"] = json.loads(row["data"])
            algorithm["_category_map"] = row
    return algorithm["_category_map"]


def _create_placeholder_category_map(algorithm, cls, job_logger):
    labels = cls.labels or [str(i) for i in range(len(cls.scores))]
    data = [{"label": label, "index": i} for i, label in enumerate(labels)]
    job_logger.info(f"Creating placeholder category map with data: {data}")
    with db.atomic():
        row = db.dictone(
            "INSERT INTO ml_algorithmcategorymap (created_at, updated_at, data, labels, version, description, labels_hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING *",
            (now(), now(), db.Json(data), labels, cls.timestamp.isoformat(),
             "Placeholder category map automatically created from classification data", hash(tuple(labels))),
        )
    algorithm["category_map_id"] = row["id"]
    db.execute("UPDATE ml_algorithm SET category_map_id = %s, updated_at = %s WHERE id = %s", (row["id"], now(), algorithm["id"]))
    algorithm.update(db.dictone("SELECT * FROM ml_algorithm WHERE id = %s LIMIT 21", (algorithm["id"],)))
    algorithm["_category_map"] = row


def _taxa_list_get_or_create(name, job_logger):
    rows = db.dictall(
        "SELECT l.*, COUNT(lp.project_id) AS project_count FROM main_taxalist l "
        "LEFT OUTER JOIN main_taxalist_projects lp ON l.id = lp.taxalist_id "
        "WHERE l.name = %s GROUP BY l.id HAVING COUNT(lp.project_id) = 0 LIMIT 21",
        (name,),
    )
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        return db.dictone(
            "SELECT l.* FROM main_taxalist l LEFT OUTER JOIN main_taxalist_projects lp ON l.id = lp.taxalist_id "
            "WHERE l.name = %s GROUP BY l.id HAVING COUNT(lp.project_id) = 0 ORDER BY l.created_at ASC LIMIT 1",
            (name,),
        )
    with db.atomic():
        row = db.dictone(
            "INSERT INTO main_taxalist (created_at, updated_at, name, description) VALUES (%s, %s, %s, '') RETURNING *",
            (now(), now(), name),
        )
    job_logger.info(f"Created new taxa list {name}")
    return row


def get_or_create_taxon_for_classification(algorithm, cls, job_logger):
    taxa_list = _taxa_list_get_or_create(f"Taxa returned by {algorithm['name']}", job_logger)
    category_map = _category_map(algorithm)
    assert category_map, f"No category map found for algorithm {algorithm['name']}"
    label_data = category_map["data"][cls.scores.index(max(cls.scores))]
    name = cls.classification
    taxon = db.dictone(
        "SELECT t.*, p.id AS parent__id, p.name AS parent__name FROM main_taxon t "
        "LEFT OUTER JOIN main_taxon p ON t.parent_id = p.id "
        "WHERE (t.name = %s OR t.search_names && %s::varchar(255)[]) AND t.active "
        "ORDER BY t.\"ordering\" ASC, t.name ASC LIMIT 1",
        (name, [name]),
    )
    if not taxon:
        rank = label_data.get("taxon_rank", "UNKNOWN")
        taxon = db.dictone(
            "INSERT INTO main_taxon (created_at, updated_at, name, rank, active, author, notes, parents_json, display_name, search_names) "
            "VALUES (%s, %s, %s, %s, true, '', '', '[]', NULL, NULL) RETURNING *",
            (now(), now(), name, rank),
        )
        display = f"{name} sp." if rank == "GENUS" else name
        db.execute(
            "UPDATE main_taxon SET display_name = %s, parents_json = '[]', search_names = '{}', updated_at = %s WHERE id = %s",
            (display, now(), taxon["id"]),
        )
        job_logger.info(f"Registered new taxon {name}")
    with db.atomic():  # taxa_list.taxa.add(taxon): the fast-add path
        db.execute(
            "INSERT INTO main_taxalist_taxa (taxalist_id, taxon_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (taxa_list["id"], taxon["id"]),
        )
    return taxon


def create_classification(detection, cls, algorithms_known, job_logger):
    try:
        algorithm = algorithms_known[cls.algorithm.key]
    except KeyError as err:
        raise PipelineNotConfigured(f"Classification algorithm {cls.algorithm.key} is not a known algorithm.") from err
    if not _category_map(algorithm):
        job_logger.warning(f"Classification algorithm {algorithm['name']} has no category map! Creating one from data in the first classification if possible.")
        _create_placeholder_category_map(algorithm, cls, job_logger)
    taxon = get_or_create_taxon_for_classification(algorithm, cls, job_logger)
    score = max(cls.scores)
    existing = db.dictone(
        "SELECT * FROM main_classification WHERE detection_id = %s AND taxon_id = %s AND algorithm_id = %s AND score = %s "
        "ORDER BY created_at DESC, score DESC LIMIT 1",
        (detection["id"], taxon["id"], algorithm["id"], score),
    )
    if existing:
        fields = [f for f in ("logits", "scores", "terminal", "category_map_id") if existing[f] is None]
        if fields:
            job_logger.info(f"Updating fields {fields} for existing classification {existing['id']}")
            values = {
                "logits": cls.logits,
                "scores": cls.scores,
                "terminal": cls.terminal,
                "category_map_id": algorithm["category_map_id"],
            }
            db.fetchone("SELECT * FROM ml_algorithm WHERE id = %s LIMIT 21", (algorithm["id"],))
            if "category_map_id" not in fields:
                db.fetchone("SELECT * FROM ml_algorithmcategorymap WHERE id = %s LIMIT 21", (algorithm["category_map_id"],))
            db.execute(
                "UPDATE main_classification SET " + ", ".join(f"{f} = %s" for f in fields) + " WHERE id = %s",
                [values[f] for f in fields] + [existing["id"]],
            )
            job_logger.info(f"Updated existing classification {existing['id']}")
        return existing, False
    return {
        "detection_id": detection["id"],
        "taxon_id": taxon["id"],
        "algorithm_id": algorithm["id"],
        "score": score,
        "timestamp": cls.timestamp or now(),
        "logits": cls.logits,
        "scores": cls.scores,
        "terminal": cls.terminal,
        "category_map_id": algorithm["category_map_id"],
    }, True


def create_classifications(detections, responses, algorithms_known, job_logger):
    existing, new = [], []
    for detection, resp in zip(detections, responses):
        for cls in resp.classifications:
            classification, created = create_classification(detection, cls, algorithms_known, job_logger)
            (new if created else existing).append(classification)
    if new:
        created_at = now()
        values = []
        params = []
        for c in new:
            values.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL)")
            params += [created_at, created_at, c["score"], c["timestamp"], c["algorithm_id"], c["detection_id"], c["taxon_id"],
                       c["category_map_id"], c["logits"], c["scores"], c["terminal"]]
        with db.atomic():
            db.fetchall(
                "INSERT INTO main_classification (created_at, updated_at, score, \"timestamp\", algorithm_id, detection_id, taxon_id, "
                "category_map_id, logits, scores, terminal, applied_to_id) VALUES " + ", ".join(values) + " RETURNING id",
                params,
            )
    job_logger.info(
        f"Created {len(new)} new classifications, updated {len(existing)} existing classifications for {len(detections)} detections."
    )
    return existing + new


# ---------------------------------------------------------------- S10 occurrences

def _image_of(detection):
    if detection.get("_image") is None:
        detection["_image"] = db.dictone("SELECT * FROM main_sourceimage WHERE id = %s LIMIT 21", (detection["source_image_id"],))
    return detection["_image"]


def _related(image, field, table):
    """Lazy FK load on a shared image object: one query per image, cached afterwards."""
    key = "_" + field
    if key not in image:
        fk = image[field + "_id"]
        image[key] = db.dictone(f"SELECT * FROM {table} WHERE id = %s LIMIT 21", (fk,)) if fk is not None else None
    return image[key]


def _best_identification(occurrence_id):
    return db.dictone(
        "SELECT * FROM main_identification WHERE occurrence_id = %s AND NOT withdrawn ORDER BY created_at DESC, id DESC LIMIT 1",
        (occurrence_id,),
    )


def _best_prediction(occurrence_id):
    return db.dictone(
        "SELECT c.*, t.id AS taxon__id, t.name AS taxon__name, a.id AS algorithm__id, a.name AS algorithm__name "
        "FROM main_classification c "
        "INNER JOIN main_detection d ON c.detection_id = d.id "
        "LEFT OUTER JOIN main_taxon t ON c.taxon_id = t.id "
        "LEFT OUTER JOIN ml_algorithm a ON c.algorithm_id = a.id "
        "WHERE d.occurrence_id = %s AND c.score IN ("
        "  SELECT MAX(u0.score) AS max_score FROM main_classification u0 INNER JOIN main_detection u1 ON u0.detection_id = u1.id "
        "  WHERE u1.occurrence_id = %s GROUP BY u0.algorithm_id) "
        "ORDER BY c.terminal DESC, c.score DESC LIMIT 1",
        (occurrence_id, occurrence_id),
    )


def update_occurrence_determination(occurrence, current_determination):
    """update_occurrence_determination(save=False): three discarded cached-property evaluations
    (the hasattr calls), the current determination, the best identification, the best prediction."""
    occ_id = occurrence["id"]
    _best_identification(occ_id)
    _best_prediction(occ_id)
    _best_identification(occ_id)
    if current_determination is None:
        row = db.fetchone("SELECT determination_id FROM main_occurrence WHERE id = %s LIMIT 21", (occ_id,))
        current_determination = row[0] if row else None
    new_determination = new_score = None
    needs_update = False
    top_identification = _best_identification(occ_id)
    if top_identification and top_identification["taxon_id"]:
        if top_identification["taxon_id"] != current_determination:
            new_determination, new_score = top_identification["taxon_id"], 1.0
    elif not top_identification:
        top_prediction = _best_prediction(occ_id)
        if top_prediction and top_prediction["taxon_id"] and top_prediction["taxon_id"] != current_determination:
            new_determination, new_score = top_prediction["taxon_id"], top_prediction["score"]
    if new_determination and new_determination != current_determination:
        occurrence["determination_id"] = new_determination
        needs_update = True
    if new_score and new_score != occurrence["determination_score"]:
        occurrence["determination_score"] = new_score
        needs_update = True
    return needs_update


def create_and_update_occurrences_for_detections(detections, job_logger):
    by_image = collections.defaultdict(list)
    for detection in detections:
        by_image[detection["source_image_id"]].append(detection)
    for image_id, group in by_image.items():
        job_logger.info(f"Determining occurrences for {len(group)} detections for source image {image_id}")
        to_create, to_link = [], []
        for detection in group:
            occurrence = detection.get("_occurrence")
            if occurrence is None and detection["occurrence_id"] is not None:
                occurrence = db.dictone("SELECT * FROM main_occurrence WHERE id = %s LIMIT 21", (detection["occurrence_id"],))
                detection["_occurrence"] = occurrence
            if not occurrence:
                image = _image_of(detection)
                event = _related(image, "event", "main_event")
                deployment = _related(image, "deployment", "main_deployment")
                project = _related(image, "project", "main_project")
                occurrence = {
                    "id": None,
                    "event_id": event["id"] if event else None,
                    "deployment_id": deployment["id"] if deployment else None,
                    "project_id": project["id"] if project else None,
                    "determination_id": None,
                    "determination_score": None,
                }
                to_create.append(occurrence)
                detection["_occurrence"] = occurrence
                to_link.append(detection)
        if to_create:
            created_at = now()
            with db.atomic():
                ids = db.fetchall(
                    "INSERT INTO main_occurrence (created_at, updated_at, determination_id, determination_score, event_id, deployment_id, project_id) VALUES "
                    + ", ".join(["(%s, %s, NULL, NULL, %s, %s, %s)"] * len(to_create)) + " RETURNING id",
                    [v for o in to_create for v in (created_at, created_at, o["event_id"], o["deployment_id"], o["project_id"])],
                )
            for occurrence, (pk,) in zip(to_create, ids):
                occurrence["id"] = pk
        job_logger.info(f"Created {len(to_create)} new occurrences")
        if to_link:
            for detection in to_link:
                detection["occurrence_id"] = detection["_occurrence"]["id"]
            with db.atomic():
                db.execute(
                    "UPDATE main_detection SET occurrence_id = CASE "
                    + " ".join(["WHEN id = %s THEN %s"] * len(to_link))
                    + " ELSE NULL END WHERE id IN %s",
                    [v for d in to_link for v in (d["id"], d["occurrence_id"])] + [tuple(d["id"] for d in to_link)],
                )
        job_logger.info(f"Updated {len(to_link)} detections with occurrences")
        to_update, to_leave = [], []
        for detection in group:
            occurrence = detection["_occurrence"]
            current = None
            if occurrence["determination_id"] is not None:
                db.fetchone("SELECT * FROM main_taxon WHERE id = %s LIMIT 21", (occurrence["determination_id"],))
                current = occurrence["determination_id"]
            (to_update if update_occurrence_determination(occurrence, current) else to_leave).append(occurrence)
        if to_update:
            with db.atomic():
                db.execute(
                    "UPDATE main_occurrence SET determination_id = CASE "
                    + " ".join(["WHEN id = %s THEN %s"] * len(to_update))
                    + " ELSE NULL END, determination_score = CASE "
                    + " ".join(["WHEN id = %s THEN %s"] * len(to_update))
                    + " ELSE NULL END WHERE id IN %s",
                    [v for o in to_update for v in (o["id"], o["determination_id"])]
                    + [v for o in to_update for v in (o["id"], o["determination_score"])]
                    + [tuple(o["id"] for o in to_update)],
                )
        job_logger.info(f"Updated the determination of {len(to_update)} occurrences, left {len(to_leave)} unchanged")
        image = db.dictone("SELECT * FROM main_sourceimage WHERE id = %s LIMIT 21", (image_id,))
        save_source_image(image)


# ---------------------------------------------------------------- calculated fields (S11, S13, S14)

def _default_filters(project):
    """build_occurrence_default_filters_q: the score threshold plus two reads of the project's taxa filters."""
    include = db.fetchall(
        "SELECT 1 AS a FROM main_taxon t INNER JOIN main_project_default_filters_include_taxa i ON t.id = i.taxon_id "
        "WHERE i.project_id = %s LIMIT 1", (project["id"],))
    exclude = db.fetchall(
        "SELECT 1 AS a FROM main_taxon t INNER JOIN main_project_default_filters_exclude_taxa e ON t.id = e.taxon_id "
        "WHERE e.project_id = %s LIMIT 1", (project["id"],))
    # The benchmark projects have no taxa filters (include/exclude empty), as most projects.
    assert not include and not exclude, "taxa filters are not reproduced by the baseline"
    return project["default_filters_score_threshold"]


def _update_source_image_row(image):
    image["updated_at"] = now()
    columns = ["created_at", "updated_at", "path", "public_base_url", "timestamp", "width", "height", "size", "last_modified",
               "checksum", "checksum_algorithm", "deployment_id", "event_id", "project_id", "test_image", "uploaded_by_id",
               "detections_count"]
    db.execute(
        "UPDATE main_sourceimage SET " + ", ".join(f"\"{c}\" = %s" for c in columns) + " WHERE id = %s",
        [image[c] for c in columns] + [image["id"]],
    )


def save_source_image(image):
    """SourceImage.save(): full-row UPDATE, calculated fields, full-row UPDATE again (6 round trips)."""
    _update_source_image_row(image)
    if image["path"] and not image["public_base_url"]:
        deployment = _related(image, "deployment", "main_deployment")
        if deployment and deployment["data_source_id"]:
            source = db.dictone("SELECT * FROM main_s3storagesource WHERE id = %s LIMIT 21", (deployment["data_source_id"],))
            image["public_base_url"] = source["public_base_url"]
    project = _related(image, "project", "main_project")
    if project is None:
        image["detections_count"] = db.fetchone(
            "SELECT COUNT(*) FROM (SELECT DISTINCT d.* FROM main_detection d WHERE d.source_image_id = %s AND NOT (d.bbox IS NULL)) s",
            (image["id"],))[0]
    else:
        threshold = _default_filters(project)
        image["detections_count"] = db.fetchone(
            "SELECT COUNT(*) FROM (SELECT DISTINCT d.* FROM main_detection d INNER JOIN main_occurrence o ON d.occurrence_id = o.id "
            "WHERE d.source_image_id = %s AND NOT (d.bbox IS NULL) AND o.determination_score >= %s) s",
            (image["id"], threshold))[0]
    _update_source_image_row(image)


def update_calculated_fields_for_events(event_ids):
    if event_ids:
        events = db.dictall("SELECT * FROM main_event WHERE id IN %s ORDER BY start ASC", (tuple(event_ids),))
    else:
        events = db.dictall("SELECT * FROM main_event ORDER BY start ASC")  # Antenna's empty-list gotcha
    stamp = now()
    for event in events:
        if not event["group_by"] and event["start"]:
            event["group_by"] = str(event["start"].date())
        project = _related(event, "project", "main_project")
        if not project and event["deployment_id"]:
            deployment = _related(event, "deployment", "main_deployment")
            event["project_id"] = deployment["project_id"]
            project = _related(event, "project", "main_project")
        first = db.fetchone("SELECT \"timestamp\" FROM main_sourceimage WHERE event_id = %s ORDER BY \"timestamp\" ASC LIMIT 1", (event["id"],))
        last = db.fetchone("SELECT \"timestamp\" FROM main_sourceimage WHERE event_id = %s ORDER BY \"timestamp\" DESC LIMIT 1", (event["id"],))
        if first:
            event["start"] = first[0]
        if last:
            event["end"] = last[0]
        event["captures_count"] = db.fetchone(
            "SELECT COUNT(*) FROM (SELECT DISTINCT si.* FROM main_sourceimage si WHERE si.event_id = %s) s", (event["id"],))[0]
        threshold = _default_filters(project)
        event["detections_count"] = db.fetchone(
            "SELECT COUNT(*) FROM (SELECT DISTINCT d.* FROM main_detection d INNER JOIN main_sourceimage si ON d.source_image_id = si.id "
            "INNER JOIN main_occurrence o ON d.occurrence_id = o.id WHERE si.event_id = %s AND NOT (d.bbox IS NULL) "
            "AND o.determination_score >= %s) s", (event["id"], threshold))[0]
        threshold = _default_filters(project)
        event["occurrences_count"] = db.fetchone(
            "SELECT COUNT(*) FROM (SELECT DISTINCT o.* FROM main_occurrence o WHERE o.event_id = %s AND o.determination_score >= %s) s",
            (event["id"], threshold))[0]
        event["calculated_fields_updated_at"] = stamp
    if events:
        fields = ["group_by", "start", "end", "project_id", "captures_count", "detections_count", "occurrences_count", "calculated_fields_updated_at"]
        sets = ", ".join(f"\"{f}\" = CASE " + " ".join(["WHEN id = %s THEN %s"] * len(events)) + " ELSE NULL END" for f in fields)
        params = [v for f in fields for e in events for v in (e["id"], e[f])] + [tuple(e["id"] for e in events)]
        with db.atomic():
            db.execute("UPDATE main_event SET " + sets + " WHERE id IN %s", params)


def update_deployments(deployment_ids):
    if not deployment_ids:
        return
    for deployment in db.dictall("SELECT * FROM main_deployment WHERE id IN %s ORDER BY name ASC", (tuple(deployment_ids),)):
        dep = deployment["id"]
        deployment["data_source_total_files"] = db.fetchone("SELECT COUNT(*) FROM main_sourceimage WHERE deployment_id = %s", (dep,))[0]
        deployment["data_source_total_size"] = db.fetchone("SELECT SUM(size) AS total_size FROM main_sourceimage WHERE deployment_id = %s", (dep,))[0]
        deployment["events_count"] = db.fetchone("SELECT COUNT(*) FROM main_event WHERE deployment_id = %s", (dep,))[0]
        deployment["captures_count"] = deployment["data_source_total_files"] or db.fetchone(
            "SELECT COUNT(*) FROM main_sourceimage WHERE deployment_id = %s", (dep,))[0]
        project = _related(deployment, "project", "main_project")
        threshold = _default_filters(project)
        deployment["detections_count"] = db.fetchone(
            "SELECT COUNT(*) FROM (SELECT DISTINCT d.* FROM main_detection d INNER JOIN main_sourceimage si ON d.source_image_id = si.id "
            "INNER JOIN main_occurrence o ON d.occurrence_id = o.id WHERE si.deployment_id = %s AND NOT (d.bbox IS NULL) "
            "AND o.determination_score >= %s) s", (dep, threshold))[0]
        threshold = _default_filters(project)
        deployment["occurrences_count"] = db.fetchone(
            "SELECT COUNT(*) FROM (SELECT DISTINCT o.* FROM main_occurrence o WHERE o.deployment_id = %s AND o.event_id IS NOT NULL "
            "AND o.determination_score >= %s) s", (dep, threshold))[0]
        deployment["taxa_count"] = db.fetchone(
            "SELECT COUNT(*) FROM (SELECT DISTINCT o.determination_id FROM main_occurrence o WHERE o.deployment_id = %s "
            "AND o.event_id IS NOT NULL AND o.determination_score >= %s) s", (dep, threshold))[0]
        deployment["first_capture_timestamp"], deployment["last_capture_timestamp"] = db.fetchone(
            "SELECT MIN(\"timestamp\") AS first, MAX(\"timestamp\") AS last FROM main_sourceimage WHERE deployment_id = %s", (dep,))
        deployment["updated_at"] = now()
        columns = ["created_at", "updated_at", "name", "description", "data_source_total_files", "data_source_total_size",
                   "data_source_subdir", "data_source_regex", "data_source_last_checked", "latitude", "longitude", "image",
                   "data_source_id", "device_id", "project_id", "research_site_id", "captures_count", "detections_count",
                   "events_count", "first_capture_timestamp", "last_capture_timestamp", "occurrences_count", "taxa_count"]
        db.execute(
            "UPDATE main_deployment SET " + ", ".join(f"\"{c}\" = %s" for c in columns) + " WHERE id = %s",
            [deployment[c] for c in columns] + [dep],
        )


# ---------------------------------------------------------------- save_results

def save_results(results, job_id, enqueue_crops):
    pipeline_get_or_create(results.pipeline)                                       # S1
    start = time.time()
    from .progress import get_job

    get_job(job_id)                                                                # S2
    job_logger = JobLogger(job_id)
    job_logger.info(f"Saving results from pipeline {results.pipeline}")            # S3
    results = schemas.PipelineResultsResponse.parse_obj(results.dict())
    source_image_ids = [int(img.id) for img in results.source_images]
    pipeline = pipeline_get_or_create(results.pipeline, job_logger)                # S4
    algorithms = db.dictall(                                                       # S5
        "SELECT a.* FROM ml_algorithm a INNER JOIN ml_pipeline_algorithms pa ON a.id = pa.algorithm_id "
        "WHERE pa.pipeline_id = %s ORDER BY a.name ASC, a.version ASC", (pipeline["id"],))
    algorithms_known = {a["key"]: a for a in algorithms}
    detectors = db.dictall(                                                        # S6
        "SELECT a.* FROM ml_algorithm a INNER JOIN ml_pipeline_algorithms pa ON a.id = pa.algorithm_id "
        "WHERE pa.pipeline_id = %s AND a.task_type IN %s ORDER BY a.name ASC, a.version ASC LIMIT 21",
        (pipeline["id"], DETECTION_TASK_TYPES))
    if not detectors:
        raise ValueError("Pipeline does not have a detection algorithm")
    if len(detectors) > 1:
        raise NotImplementedError("Multiple detection algorithms per pipeline are not supported")
    detector = detectors[0]
    job_logger.info("Algorithms registered for pipeline: \n" + ", ".join(algorithms_known.keys()))  # S7

    detections = create_detections(results.detections, algorithms_known, job_logger)              # S8
    create_classifications(detections, results.detections, algorithms_known, job_logger)          # S9
    create_and_update_occurrences_for_detections(detections, job_logger)                          # S10

    if source_image_ids:                                                                           # S11
        images = db.dictall(
            "SELECT DISTINCT si.*, dep.name, ev.start FROM main_sourceimage si "
            "LEFT OUTER JOIN main_deployment dep ON si.deployment_id = dep.id "
            "LEFT OUTER JOIN main_event ev ON si.event_id = ev.id "
            "WHERE si.id IN %s ORDER BY dep.name ASC, ev.start ASC, si.timestamp ASC",
            (tuple(source_image_ids),))
    else:
        images = []
    for image in images:
        save_source_image(image)

    task_id = enqueue_crops([image["id"] for image in images])                                    # S12
    job_logger.info(f"Creating detection images in sub-task {task_id}")

    update_calculated_fields_for_events([image["event_id"] for image in images])                 # S13
    update_deployments({image["deployment_id"] for image in images if image["deployment_id"]})   # S14

    with_detections = {d.source_image_id for d in results.detections}                            # S15
    reference = schemas.AlgorithmReference(name=detector["name"], key=detector["key"])
    null_responses = [
        schemas.DetectionResponse(source_image_id=img.id, bbox=None, algorithm=reference, timestamp=now())
        for img in results.source_images if img.id not in with_detections
    ]
    create_detections(null_responses, algorithms_known, job_logger)

    job_logger.info(f"Saved results from pipeline {pipeline['name']} in {time.time() - start:.2f} seconds")  # S16
