"""Evaluation: generation backends, benchmarks, the results store and the checkpoint sweep."""
