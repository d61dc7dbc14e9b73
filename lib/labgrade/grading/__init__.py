"""Grading one student after another: staging, nbgrader autograde, results, the gradebook."""
