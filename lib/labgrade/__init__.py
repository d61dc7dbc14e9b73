"""labgrade: course tooling for Lab 4.4 (building the release, grading a class, reports).

Kept apart from ``initlab`` (the reference code students read). One subpackage per concern, each
importing only the ones below it (the ``layers`` contract of import-linter in pyproject.toml):

* ``cli``        the ``labgrade`` command, one module per subcommand
* ``hub``        the course on a JupyterHub: users, exchange, environments, collect and release feedback
* ``variants``   "the model answer, changed": the sample class, the answer catalogue, differential grading
* ``lab``        the JupyterLab launcher of ``make lab``
* ``fairness``   how often labcheck's statistical checks fail a correct answer
* ``pipeline``   a class's grading run: gradebook, per-student grading, results, reports
* ``reports``    what grading writes for people: item analysis (HTML), feedback preprocessors
* ``grading``    staging, the per-student nbgrader runner, results, the gradebook
* ``sandbox``    running student code isolated: bubblewrap, the judge and its worker, limits
* ``course``     course.toml, the release build, paths, nbgrader's solution / hidden-test regions
"""
