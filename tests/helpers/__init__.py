"""Helpers of the tests (sample classes, expected grades, hostile submissions), imported as ``helpers.*``
(tests/ is on sys.path through pytest's ``pythonpath`` setting in pyproject.toml)."""
