"""Benchmarks of the course tooling (make bench, make bench-notebooks); not part of the installed package."""
