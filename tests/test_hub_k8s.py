"""The Kubernetes deployment (deploy/k8s/, Zero to JupyterHub) cannot run here: check that its
files parse and name the image, the services and the database settings that docs/deployment.md
describes."""

import yaml

from conftest import REPO

K8S = REPO / "deploy" / "k8s"
IMAGE = "registry.example.edu/dl-course/notebook"


def values():
    return yaml.safe_load((K8S / "values.yaml").read_text())


def env_of(container):
    return {e["name"]: e for e in container["env"]}


def test_values_parse_and_name_the_image_and_its_environment():
    v = values()
    single = v["singleuser"]
    assert single["image"]["name"] == IMAGE and single["image"]["tag"]
    assert single["extraEnv"]["OMP_NUM_THREADS"] == "1"
    assert single["extraEnv"]["JUPYTER_CONFIG_PATH"] == "/opt/dl-course/deploy/config/student"
    assert (REPO / "deploy" / "config" / "student" / "nbgrader_config.py").exists()
    mount, = single["storage"]["extraVolumeMounts"]
    assert mount["mountPath"] == single["extraEnv"]["COURSE_EXCHANGE"] == "/srv/nbgrader/exchange"
    claim, = single["storage"]["extraVolumes"]
    assert claim["persistentVolumeClaim"]["claimName"] == "nbgrader-exchange"
    dockerfile = (K8S / "Dockerfile").read_text()
    assert "-r requirements.txt" in dockerfile and "COPY . /opt/dl-course" in dockerfile
    assert IMAGE in dockerfile


def test_the_grader_is_a_hub_service_for_instructors_only():
    v = values()
    hub = v["hub"]
    assert hub["config"]["JupyterHub"]["authenticator_class"] == "nativeauthenticator.NativeAuthenticator"
    service = hub["services"]["dl-course"]
    grader, = hub["extraContainers"]
    assert grader["image"].startswith(IMAGE + ":")
    assert service["url"] == env_of(grader)["JUPYTERHUB_SERVICE_URL"]["value"] == "http://127.0.0.1:9999"
    assert env_of(grader)["JUPYTERHUB_SERVICE_NAME"]["value"] == "dl-course"
    assert env_of(grader)["JUPYTERHUB_API_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "hub", "key": "hub.services.dl-course.apiToken"}
    access = [name for name, role in hub["loadRoles"].items()
              if "access:services!service=dl-course" in role.get("scopes", [])]
    assert access == ["formgrade-dl-course"] and hub["loadRoles"][access[0]]["groups"] == ["formgrade-dl-course"]
    mounts = {m["mountPath"] for m in grader["volumeMounts"]}
    assert {"/srv/nbgrader/exchange", "/srv/course"} <= mounts
    volumes = {vol["name"]: vol for vol in hub["extraVolumes"]}
    assert volumes["exchange"]["persistentVolumeClaim"]["claimName"] == "nbgrader-exchange"
    for name, code in hub["extraConfig"].items():
        compile(code, f"extraConfig.{name}", "exec")
    assert "nbgrader-dl-course" in hub["extraConfig"]["course"]
    assert "c.KubeSpawner.uid" in hub["extraConfig"]["uids"]


def test_the_gradebook_is_the_managed_postgresql_of_a_secret():
    grader, = values()["hub"]["extraContainers"]
    ref = env_of(grader)["COURSE_DB_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "dl-course-gradebook", "key": "url"}
    text = (K8S / "values.yaml").read_text()
    assert "create secret generic dl-course-gradebook" in text and "postgresql://" in text
    claims = {d["metadata"]["name"]: d for d in yaml.safe_load_all((K8S / "storage.yaml").read_text())}
    assert claims["nbgrader-exchange"]["spec"]["accessModes"] == ["ReadWriteMany"]
    assert "dl-course-folder" in claims and "dl-course-roster" in claims


def test_the_docs_describe_the_same_deployment():
    page = (REPO / "docs" / "deployment.md").read_text()
    for needle in ("deploy/k8s/values.yaml", IMAGE, "dl-course-gradebook", "nbgrader-exchange",
                   "formgrade-dl-course", "COURSE_DB_URL", "make hub"):
        assert needle in page, f"docs/deployment.md does not mention {needle}"
