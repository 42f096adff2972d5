"""Operator tools: benchmarks, evaluation and archive jobs."""
