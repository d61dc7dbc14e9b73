"""The department-scale deployment's files (docs/deploy.md) parse and set what the course needs."""

from __future__ import annotations

import ast
import sys
import types

import pytest
import yaml
from traitlets.config import Config

from labgrade.course.paths import course_root

ROOT = course_root()
DEPLOY = ROOT / "deploy"
NAMESPACE = "lab44"


def course_id() -> str:
    tree = ast.parse((ROOT / "nbgrader_config.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "c.CourseDirectory.course_id":
            return ast.literal_eval(node.value)
    raise AssertionError("nbgrader_config.py sets no course id")


def load(name: str) -> dict:
    return yaml.safe_load((DEPLOY / "k8s" / name).read_text())


def nbgrader_config(env: dict[str, str], monkeypatch) -> tuple[Config, list]:
    """Run deploy/nbgrader_config.py as nbgrader would, with ngshare_exchange stubbed (it is not installed)."""
    calls = []
    stub = types.ModuleType("ngshare_exchange")
    stub.configureExchange = lambda c, url=None: calls.append(url)
    monkeypatch.setitem(sys.modules, "ngshare_exchange", stub)
    for k in ("LABGRADE_DB_URL",):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    c = Config()
    path = DEPLOY / "nbgrader_config.py"
    exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda: c, "__file__": str(path)})
    return c, calls


def test_hub_values():
    v = load("config.yaml")
    hub, single = v["hub"], v["singleuser"]
    # the exchange: ngshare as a hub service every user may access
    assert hub["services"]["ngshare"]["url"] == f"http://ngshare.{NAMESPACE}.svc.cluster.local:8080"
    assert "access:services!service=ngshare" in hub["loadRoles"]["user"]["scopes"]
    assert hub["loadRoles"]["ngshare"]["services"] == ["ngshare"]
    # nobody is admin (an admin may open another user's server)
    assert hub["config"]["GenericOAuthenticator"]["admin_groups"] == []
    # the gradebook URL comes from a secret, and reaches instructors' pods only
    ref = hub["extraEnv"]["LABGRADE_DB_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "lab44-gradebook", "key": "url"}
    assert "LABGRADE_DB_URL" not in single.get("extraEnv", {})
    hook = hub["extraConfig"]["lab44-roles.py"]
    compile(hook, "lab44-roles.py", "exec")
    assert "lab44-instructors" in hook and 'environment["LABGRADE_DB_URL"]' in hook
    assert 'environment.pop("LABGRADE_DB_URL"' in hook
    # students' image and server
    assert single["image"]["name"].endswith("/student") and single["image"]["tag"]
    assert single["cmd"] == "jupyterhub-singleuser" and single["defaultUrl"] == "/lab"
    assert single["extraFiles"]["nbgrader-config"]["mountPath"] == "/etc/jupyter/nbgrader_config.py"
    # resource limits: a student's server cannot take a node
    assert float(single["cpu"]["limit"]) <= 2 and single["memory"]["limit"] in ("1G", "2G", "4G")
    assert single["memory"]["guarantee"] and single["cpu"]["guarantee"]
    assert single["networkPolicy"]["enabled"] is True
    assert single["networkPolicy"]["egressAllowRules"]["privateIPs"] is False   # no database from user pods
    assert v["cull"]["enabled"] is True


def test_nbgrader_config_students(monkeypatch):
    c, calls = nbgrader_config({}, monkeypatch)
    assert calls == [f"http://proxy-public.{NAMESPACE}.svc.cluster.local/services/ngshare"]
    assert c.CourseDirectory.course_id == course_id()
    assert "db_url" not in c.CourseDirectory, "students' pods must not get a gradebook URL"


def test_nbgrader_config_instructors(monkeypatch):
    url = "postgresql://labgrade:secret@lab44-pg.lab44.svc.cluster.local/labgrade"
    c, _ = nbgrader_config({"LABGRADE_DB_URL": url}, monkeypatch)
    assert c.CourseDirectory.db_url == url


def test_ngshare_and_dask_values():
    ng = load("ngshare.yaml")
    assert ng["pvc"]["storage"] and ng["deployment"]["resources"]["limits"]["memory"]
    dask = load("dask.yaml")
    hub = load("config.yaml")
    course_image = next(line.split('"')[1] for line in hub["hub"]["extraConfig"]["lab44-roles.py"].splitlines()
                        if line.startswith("INSTRUCTOR_IMAGE"))
    for part in ("scheduler", "worker"):
        img = dask[part]["image"]
        assert f"{img['repository']}:{img['tag']}" == course_image, f"dask {part} must grade with the course image"
    assert dask["scheduler"]["servicePort"] == 8786
    env = {e["name"]: e for e in dask["worker"]["env"]}
    assert env["OPENBLAS_NUM_THREADS"]["value"] == "1"
    assert env["LABGRADE_DB_URL"]["valueFrom"]["secretKeyRef"]["name"] == "lab44-gradebook"
    assert dask["worker"]["resources"]["limits"]["memory"]


@pytest.mark.parametrize("name", ["Dockerfile.student", "Dockerfile.course"])
def test_images(name):
    text = (DEPLOY / "k8s" / name).read_text()
    assert "jupyterhub==" in text and "ngshare_exchange" in text
    if name == "Dockerfile.student":
        assert "COPY dist/student-bundle" in text and "COPY . " not in text   # never the repository
        assert "formgrader" in text     # disabled for students
    else:
        assert "bubblewrap" in text
