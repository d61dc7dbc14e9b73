"""The model answer, changed: the sample class, the answer catalogue, differential grading."""
