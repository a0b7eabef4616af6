"""The reliability and fault suite (``pytest -m faults``): bad feeds, storage faults, parser fuzzing."""
