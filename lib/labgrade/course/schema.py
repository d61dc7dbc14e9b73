"""nbgrader's gradebook schema: its revision read in this process, and new gradebooks made with it.

nbgrader stamps every gradebook it creates with the output of ``alembic heads``, run as a
subprocess: 3 s of a Python start and alembic's imports each time (a grading run, each
``generate_assignment`` into a throwaway gradebook). The functions here give nbgrader the same
revision without the subprocess.
"""

from __future__ import annotations

import functools


@functools.cache
def alembic_head() -> str:
    """The revision of nbgrader's gradebook schema, read by alembic's API in this process.

    nbgrader's :class:`~nbgrader.api.Gradebook` stamps a database it creates with the output of
    ``alembic heads``, which it runs as a subprocess (``nbgrader.api.get_alembic_version``): 3 s
    of a Python start and alembic's imports, once for every new gradebook. This reads the same
    migration scripts (nbgrader's own alembic.ini) with :class:`alembic.script.ScriptDirectory`,
    in 0.1 s, once per process. ``tests/labgrade/course/test_schema.py`` checks that both agree.
    """
    from alembic.config import Config  # alembic is nbgrader's dependency: only when a gradebook is created
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import _temp_alembic_ini

    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:    # the URL nbgrader gives it (unused)
        heads = ScriptDirectory.from_config(Config(ini)).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"nbgrader's gradebook migrations have {len(heads)} heads ({heads}); expected one")
    return heads[0]


def use_inprocess_alembic() -> None:
    """Make nbgrader stamp new gradebooks with :func:`alembic_head` (no ``alembic`` subprocess)."""
    import nbgrader.api  # nbgrader.api loads SQLAlchemy: only when the gradebook is opened

    nbgrader.api.get_alembic_version = alembic_head


def create_gradebook(url: str) -> None:
    """Create nbgrader's gradebook at ``url`` (tables and stamp) if it is not there, in this process."""
    from nbgrader.api import Gradebook  # nbgrader.api loads SQLAlchemy: only when a gradebook is made

    use_inprocess_alembic()
    Gradebook(url).close()
