"""What grading writes for people: the item analysis (HTML, Jinja2) and the feedback preprocessors."""
