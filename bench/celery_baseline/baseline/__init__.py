"""Re-implementation of Antenna's ML-result Celery task for the benchmark baseline (see ../MAPPING.md)."""
