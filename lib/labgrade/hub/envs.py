"""The Python environments of the hub users' servers, built with uv from the package registry.

* **students** (``<root>/student-env``): the student bundle's wheels (``initlab``, ``labcheck``) and
  its requirements.txt, plus JupyterLab, nbgrader (the Assignment List and Validate button),
  ipykernel and jupyterhub (for ``jupyterhub-singleuser``). Nothing of the repository: no solutions,
  no hidden tests, no grader.
* **the instructor** (``<root>/course-env``): the course's requirements.txt and jupyterhub; the course
  code (``labgrade``, ``initlab``, ``labcheck``) is the instructor's private copy of the course, put on
  the path by a ``.pth`` file, so formgrader, ``labgrade`` and the gradebook all work on that copy.

Both are made from a system interpreter every user can run (``/usr/bin/python3`` by default: the
course's own ``.venv`` may live under a root-only directory), and rebuilt only when what goes into
them changes.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from labgrade.hub import JUPYTERHUB_VERSION

# the packages whose versions the users' servers share with the course environment (requirements.txt)
SHARED_PINS = {"jupyterlab", "jupyter-server", "notebook", "nbgrader", "nbconvert", "nbclient", "nbformat",
               "ipykernel", "ipython", "jupyter-client", "numpy", "scipy", "matplotlib", "jupyterlab-server"}
STUDENT_TOOLS = ["jupyterlab", "ipykernel", f"jupyterhub=={JUPYTERHUB_VERSION}"]   # + nbgrader, pinned as the course


class EnvError(RuntimeError):
    pass


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: Path, only: set[str] | None = None) -> list[str]:
    out = []
    for line in Path(requirements).read_text().splitlines():
        line = line.split("#")[0].strip()
        m = re.match(r"([A-Za-z0-9_.\-]+)==", line)
        if m and (only is None or _canon(m.group(1)) in only):
            out.append(line)
    return out


def uv_command() -> list[str]:
    for cand in (Path(sys.executable).parent / "uv", shutil.which("uv")):
        if cand and Path(cand).exists():
            return [str(cand)]
    raise EnvError("uv is not installed in the course environment (pip install uv; it is in requirements.txt)")


def check_interpreter(python: Path) -> None:
    """The base interpreter must be runnable by every user (not under /root, for example)."""
    real = Path(python).resolve()
    if not real.exists():
        raise EnvError(f"{python} does not exist (apt-get install python3)")
    for parent in [real, *real.parents]:
        mode = parent.stat().st_mode
        if parent != real and not mode & 0o001:
            raise EnvError(f"{python} is under {parent}, which other users cannot enter: the users' servers "
                           f"cannot run it. Use --python /usr/bin/python3 (apt-get install python3).")


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, Path) and p.is_file():
            h.update(p.read_bytes())
        else:
            h.update(str(p).encode())
    return h.hexdigest()


def _fresh(env: Path, digest: str) -> bool:
    stamp = env / ".labgrade-stamp"
    return stamp.exists() and stamp.read_text().strip() == digest and (env / "bin" / "python").exists()


def _uv_install(env: Path, python: Path, args: list[str], log, cwd: Path | None = None) -> None:
    uv = uv_command()
    if env.exists():
        shutil.rmtree(env)
    run = dict(stdout=log, stderr=subprocess.STDOUT, cwd=cwd,
               env={**os.environ, "UV_NO_PROGRESS": "1", "UV_NATIVE_TLS": "1"})
    subprocess.run([*uv, "venv", "--quiet", "--python", str(python), str(env)], check=True, **run)
    res = subprocess.run([*uv, "pip", "install", "--quiet", "--python", str(env / "bin" / "python"), *args], **run)
    if res.returncode:
        raise subprocess.CalledProcessError(res.returncode, "uv pip install")


def bundle_wheels(bundle: Path) -> list[Path]:
    wheels = sorted(Path(bundle).rglob("*.whl"))
    if not wheels:
        raise EnvError(f"no wheel in the student bundle {bundle} (make student-bundle)")
    return wheels


def build_student_env(env: Path, bundle: Path, course_requirements: Path, python: Path, log) -> bool:
    """Build (or keep) the students' environment from the student bundle: its requirements.txt (its wheels
    and pins) and nbgrader and jupyterhub. Where a pin does not fit the base interpreter, the bundle's
    pins of the Jupyter and numerical packages are kept and the rest resolved. True if it was (re)built."""
    bundle = Path(bundle).resolve()
    wheels = bundle_wheels(bundle)
    reqs = bundle / "requirements.txt"
    digest = _digest(python, reqs, course_requirements, *wheels, *STUDENT_TOOLS)
    if _fresh(env, digest):
        return False
    exact = ["-r", str(reqs)] if reqs.exists() else [*map(str, wheels)]
    tools = [*STUDENT_TOOLS, *(f"nbgrader=={v}" for v in _pin(course_requirements, "nbgrader"))]
    try:
        _uv_install(env, python, [*exact, *tools], log, cwd=bundle)
    except subprocess.CalledProcessError:
        names = [p.split("==")[0] for p in pins(reqs)] if reqs.exists() else []
        shared = env.parent / "student-constraints.txt"
        shared.write_text("\n".join(pins(reqs, SHARED_PINS) if reqs.exists() else
                                     pins(course_requirements, SHARED_PINS)) + "\n")
        log.write(b"[labgrade] the bundle's pins do not resolve on this interpreter; its Jupyter/numpy pins only\n")
        log.flush()
        _uv_install(env, python, ["-c", str(shared), *map(str, wheels), *names, *tools], log, cwd=bundle)
    (env / ".labgrade-stamp").write_text(digest + "\n")
    return True


def _pin(requirements: Path, name: str) -> list[str]:
    return [p.split("==")[1] for p in pins(requirements, {name})]


def build_course_env(env: Path, course_requirements: Path, course_lib: Path, python: Path, log) -> bool:
    """Build (or keep) the instructor's environment: the course's requirements (where a pin does not
    fit the base interpreter, the shared pins only) and jupyterhub; ``course_lib`` on its path."""
    digest = _digest(python, course_requirements, course_lib, JUPYTERHUB_VERSION)
    if _fresh(env, digest):
        return False
    hub = f"jupyterhub=={JUPYTERHUB_VERSION}"
    try:
        _uv_install(env, python, ["-r", str(course_requirements), hub], log)
    except subprocess.CalledProcessError:
        # e.g. a pin that needs a newer patch release of Python than the system's: resolve again with
        # the versions that matter to grading pinned and the rest free
        names = [re.split(r"==", p)[0] for p in pins(course_requirements)]
        shared = env.parent / "course-constraints.txt"
        shared.write_text("\n".join(pins(course_requirements, SHARED_PINS)) + "\n")
        log.write(b"[labgrade] full pins do not resolve on this interpreter; shared pins only\n")
        log.flush()
        _uv_install(env, python, ["-c", str(shared), *names, hub], log)
    site = next((env / "lib").glob("python3*/site-packages"))
    (site / "labgrade-course.pth").write_text(str(course_lib) + "\n")
    script = env / "bin" / "labgrade"
    script.write_text(f"#!{env}/bin/python\nimport sys\nfrom labgrade.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    subprocess.run([str(env / "bin" / "python"), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
                    "--display-name", "Python 3 (initlab)"], check=True, stdout=log, stderr=subprocess.STDOUT)
    (env / ".labgrade-stamp").write_text(digest + "\n")
    return True
