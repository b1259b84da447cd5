namespace AntennaIngest.Core.Contracts;

/// <summary>A task decoded from one inbound message.</summary>
public abstract record IngestTask;

/// <summary>ami.jobs.tasks.process_nats_pipeline_result: the full result path (Redis, save, progress, NATS ack).</summary>
public sealed record ProcessPipelineResultTask(long JobId, PipelineResult Result, string ReplySubject) : IngestTask;

/// <summary>ami.ml.models.pipeline.save_results: the save path only (sync_api jobs). JobId is optional.</summary>
public sealed record SaveResultsTask(long? JobId, PipelineResultsResponse Results) : IngestTask;

/// <summary>ami.ml.tasks.create_detection_images: crops for the detections of these images.</summary>
public sealed record CreateDetectionImagesTask(IReadOnlyList<long> SourceImageIds) : IngestTask;
