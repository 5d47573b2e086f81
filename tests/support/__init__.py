"""Helpers shared by tests (and benchmarks) that drive real processes: a Celery worker, storage."""
