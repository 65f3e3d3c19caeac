"""Fuzzing hourbook: Hypothesis strategies for books and their mutations, and the driver."""
