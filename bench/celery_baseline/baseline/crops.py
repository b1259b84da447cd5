"""create_detection_images (antenna-ingest-io.md §6): fetch each image over HTTP, crop every
path-less detection with int() truncation, save a JPEG (Pillow defaults) under MEDIA_ROOT, and
save the detection with its new path (a full-row UPDATE)."""

import io
import logging
import os
import urllib.parse
import urllib.request

from PIL import Image

from . import db, settings
from .save_results import _update_detection_row

logger = logging.getLogger("baseline.crops")


def create_detection_images(source_image_ids):
    if not source_image_ids:
        return
    for image in db.dictall("SELECT * FROM main_sourceimage WHERE id IN %s", (tuple(source_image_ids),)):
        try:
            _crop_image(image)
        except Exception as e:
            logger.error("Error creating detection images for SourceImage %s: %s", image["id"], e)


def _crop_image(image):
    detections = db.dictall(
        "SELECT * FROM main_detection WHERE source_image_id = %s AND path IS NULL ORDER BY frame_num ASC, \"timestamp\" ASC",
        (image["id"],),
    )
    if not detections:
        return
    url = urllib.parse.urljoin(image["public_base_url"], image["path"].lstrip("/"))
    with urllib.request.urlopen(url, timeout=30) as response:
        picture = Image.open(io.BytesIO(response.read()))
        picture.load()
    width, height = picture.size
    stem = os.path.splitext(os.path.basename(image["path"]))[0]
    for detection in detections:
        bbox = detection["bbox"]
        if not bbox:
            continue
        x1, y1, x2, y2 = (max(0, min(v, limit)) for v, limit in zip(bbox, (width, height, width, height)))
        if x1 >= x2 or y1 >= y2:
            raise ValueError("Bounding box has zero area")
        crop = picture.crop((int(x1), int(y1), int(x2), int(y2)))
        if crop.getbbox() is None:
            raise ValueError("Cropped image is empty")
        date = detection["timestamp"].date().isoformat() if detection["timestamp"] else "unknown_date"
        name = f"detections/{image['project_id']}/{date}/{stem}_detection_{detection['id']}.jpg"
        path = os.path.join(settings.MEDIA_ROOT, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        crop.convert("RGB").save(path, format="JPEG")
        detection["path"] = name
        _update_detection_row(detection)
