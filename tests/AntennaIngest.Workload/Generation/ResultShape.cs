namespace AntennaIngest.Workload.Generation;

public enum ResultShape
{
    /// <summary>As the Celery task receives it (pydantic v1 `.dict()` through kombu's JSON).</summary>
    Celery,

    /// <summary>As the ADC worker posts it (pydantic v2 `model_dump(mode="json")`).</summary>
    Adc,
}
