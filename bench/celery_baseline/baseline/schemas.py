"""The result schemas the task validates with (pydantic v1, as Antenna's ami/ml/schemas.py behaves).

Written from the field tables in antenna-ingest-io.md §2: same fields, types and defaults, so
validation costs what Antenna's costs (the task validates each result, save_results validates
it again from .dict()).
"""

import datetime
import typing

import pydantic


class BoundingBox(pydantic.BaseModel):
    x1: float
    y1: float
    x2: float
    y2: float


class AlgorithmReference(pydantic.BaseModel):
    name: str
    key: str


class AlgorithmCategoryMapResponse(pydantic.BaseModel):
    data: list = pydantic.Field(default_factory=dict)
    labels: list[str] = []
    version: typing.Optional[str] = None
    description: typing.Optional[str] = None
    uri: typing.Optional[str] = None


class AlgorithmConfigResponse(pydantic.BaseModel):
    name: str
    key: str
    description: typing.Optional[str] = None
    task_type: typing.Optional[str] = None
    version: int = 1
    version_name: typing.Optional[str] = None
    uri: typing.Optional[str] = None
    category_map: typing.Optional[AlgorithmCategoryMapResponse] = None

    class Config:
        extra = "ignore"


class ClassificationResponse(pydantic.BaseModel):
    classification: str
    labels: typing.Optional[list[str]] = None
    scores: list[float] = []
    logits: typing.Optional[list[float]] = None
    inference_time: typing.Optional[float] = None
    algorithm: AlgorithmReference
    terminal: bool = True
    timestamp: datetime.datetime


class DetectionResponse(pydantic.BaseModel):
    source_image_id: str
    bbox: typing.Optional[BoundingBox] = None
    inference_time: typing.Optional[float] = None
    algorithm: AlgorithmReference
    timestamp: datetime.datetime
    crop_image_url: typing.Optional[str] = None
    classifications: list[ClassificationResponse] = []


class SourceImageResponse(pydantic.BaseModel):
    id: str
    url: str

    class Config:
        extra = "ignore"


class PipelineResultsResponse(pydantic.BaseModel):
    pipeline: str
    algorithms: dict[str, AlgorithmConfigResponse] = {}
    total_time: float
    source_images: list[SourceImageResponse]
    detections: list[DetectionResponse]
    errors: typing.Union[list, str, None] = None


class PipelineResultsError(pydantic.BaseModel):
    error: str
    image_id: typing.Optional[str] = None


def decode_kombu_types(value):
    """kombu >= 5.3 wraps datetimes as {"__type__": "datetime", "__value__": iso}; Debian's kombu 5.2 does not unwrap them."""
    if isinstance(value, dict):
        if len(value) == 2 and "__type__" in value and "__value__" in value:
            if value["__type__"] == "datetime":
                return datetime.datetime.fromisoformat(value["__value__"])
            return value["__value__"]
        return {k: decode_kombu_types(v) for k, v in value.items()}
    if isinstance(value, list):
        # Score and logit vectors hold only numbers: kombu's object hook never visits them either.
        if value and not isinstance(value[0], (dict, list)):
            return value
        return [decode_kombu_types(v) for v in value]
    return value
