"""The world both copies start from, made through Antenna's own ORM in the template database.

Two deployments with captures over two nights each (grouped into events by Antenna), a few
captures whose timestamp is missing but readable from the filename, a project that reprocesses
all images (so several jobs can queue the same captures), taxa (some found by name, one only by
one of its search_names, the rest unknown until a result names them), and two pipelines:

- `diff-pipeline`: detector, binary classifier (Moth / Not a moth), species classifier, and a
  classifier without a category map (Antenna makes a placeholder map on first use);
- `diff-pipeline-b`: another detector (its boxes reuse the first pipeline's detections) and the
  species classifier.

One algorithm, `diff-unregistered`, exists but belongs to no pipeline. Jobs are created here and
started per seed by the worker (Antenna's job.run()).
"""
import datetime

from ami.jobs.models import Job, JobDispatchMode, MLJob
from ami.main.models import (
    Deployment,
    Project,
    SourceImage,
    SourceImageCollection,
    TaxaList,
    Taxon,
    TaxonRank,
    group_images_into_events,
)
from ami.ml.models import Algorithm, Pipeline
from ami.ml.models.pipeline import get_or_create_algorithm_and_category_map
from ami.ml.schemas import AlgorithmCategoryMapResponse, AlgorithmConfigResponse
from ami.users.models import User

from diffsuite.names import SPECIES, SPECIES_RANKS

IMAGE_BASE_URL = "http://127.0.0.1:9/differential"


def _category_map(labels, ranks=None) -> AlgorithmCategoryMapResponse:
    data = [{"index": i, "label": label, "gbif_key": 1000 + i} for i, label in enumerate(labels)]
    if ranks:
        for item, rank in zip(data, ranks):
            item["taxon_rank"] = rank
    return AlgorithmCategoryMapResponse(data=data, labels=labels, version="v1", description="differential fixture")


def _algorithm(key, name, task_type, category_map=None) -> Algorithm:
    return get_or_create_algorithm_and_category_map(
        AlgorithmConfigResponse(name=name, key=key, task_type=task_type, version=1, category_map=category_map)
    )


def _captures(deployment: Deployment, prefix: str, first_night: datetime.datetime) -> list[SourceImage]:
    images = []
    for night in range(2):
        start = first_night + datetime.timedelta(days=night)
        for i in range(6):
            taken = start + datetime.timedelta(minutes=10 * i)
            images.append(
                SourceImage.objects.create(
                    deployment=deployment,
                    project=deployment.project,
                    path=f"{prefix}/{taken:%Y%m%d%H%M%S}-snapshot.jpg",
                    public_base_url=IMAGE_BASE_URL,
                    timestamp=taken,
                    width=1920,
                    height=1080,
                )
            )
    return images


def build() -> dict:
    owner = User.objects.create(email="differential@example.org", is_superuser=True, is_staff=True)
    project = Project.objects.create(name="Differential", owner=owner, description="differential suite")
    project.feature_flags.reprocess_all_images = True
    project.feature_flags.async_pipeline_workers = True
    project.save()

    traps = [Deployment.objects.create(project=project, name=name) for name in ("Trap A", "Trap B")]
    images = _captures(traps[0], "trap-a", datetime.datetime(2024, 6, 1, 22, 0))
    images += _captures(traps[1], "trap-b", datetime.datetime(2024, 6, 3, 22, 30))
    for trap in traps:
        group_images_into_events(trap)
    # Captures synced without a timestamp (bulk-created rows): Antenna reads it from the filename
    # the next time the capture is saved.
    undated = [images[5].pk, images[17].pk]
    SourceImage.objects.filter(pk__in=undated).update(timestamp=None, event=None)

    order, _ = Taxon.objects.get_or_create(name="Lepidoptera", rank=TaxonRank.ORDER.name)
    known = [Taxon.objects.create(name=name, rank="SPECIES", parent=order) for name in SPECIES[:2]]
    Taxon.objects.create(name="Noctua pronuba", rank="SPECIES", parent=order, search_names=["Noctua subsequa"])
    taxa_list = TaxaList.objects.create(name="Differential taxa")
    taxa_list.taxa.add(order, *known)
    taxa_list.projects.add(project)

    detector = _algorithm("diff-detector", "Differential detector", "localization")
    detector_b = _algorithm("diff-detector-b", "Differential detector B", "detection")
    binary = _algorithm("diff-binary", "Differential moth/non-moth", "classification", _category_map(["Moth", "Not a moth"]))
    species = _algorithm("diff-species", "Differential species", "classification", _category_map(SPECIES, SPECIES_RANKS))
    # A classifier registered before category maps were required: Antenna creates a placeholder.
    no_map = Algorithm.objects.create(key="diff-nomap", name="Differential unmapped", task_type="classification", version=1)
    _algorithm("diff-unregistered", "Differential unregistered", "classification", _category_map(["Moth", "Not a moth"]))

    pipeline = Pipeline.objects.create(name="Differential pipeline", slug="diff-pipeline")
    pipeline.algorithms.set([detector, binary, species, no_map])
    pipeline.projects.add(project)
    pipeline_b = Pipeline.objects.create(name="Differential pipeline B", slug="diff-pipeline-b")
    pipeline_b.algorithms.set([detector_b, species])
    pipeline_b.projects.add(project)

    everything = SourceImageCollection.objects.create(project=project, name="All captures")
    everything.images.set(images)
    some = SourceImageCollection.objects.create(project=project, name="Trap B captures")
    some.images.set(images[12:])

    jobs = {}
    for name, pipe, collection in (
        ("main", pipeline, everything),
        ("second", pipeline_b, some),
        ("cancelled", pipeline, some),
        ("retried", pipeline, some),
    ):
        job = Job.objects.create(
            job_type_key=MLJob.key,
            project=project,
            name=f"Differential {name}",
            pipeline=pipe,
            source_image_collection=collection,
            dispatch_mode=JobDispatchMode.ASYNC_API,
        )
        jobs[name] = job.pk

    return {
        "project": project.pk,
        "images": [img.pk for img in images],
        "undated_images": undated,
        "jobs": jobs,
        "pipelines": {"main": pipeline.slug, "second": pipeline_b.slug},
    }
