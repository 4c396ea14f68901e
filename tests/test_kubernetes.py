"""deploy/kubernetes/ holds up: every manifest passes the Kubernetes schemas (kubernetes-validate, offline, strict),
the workers consume the queues of the common split and nothing is left unconsumed, one beat, probes on paths the
portal serves, and no secret in the repository."""

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from supportdesk.queues import DEFAULT, INGESTION, KPIS, NOTIFICATIONS, POLLING, QUEUES, SWEEPS

KUBERNETES = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
KUSTOMIZATION = KUBERNETES / "kustomization.yaml"
MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p != KUSTOMIZATION)
WORKER_SPLIT = {  # docs/operations.md#scaling-out: what a person waits for never sits behind a flood
    "worker-notifications": {NOTIFICATIONS, SWEEPS},
    "worker-ingestion": {INGESTION},
    "worker-polling": {POLLING},
    "worker-default": {KPIS, DEFAULT},
}


def resources() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def deployments() -> dict[str, dict]:
    return {r["metadata"]["labels"]["app.kubernetes.io/component"]: r for r in resources() if r["kind"] == "Deployment"}


def pod_specs() -> list[dict]:
    return [r["spec"]["template"]["spec"] for r in resources() if r["kind"] in ("Deployment", "Job")]


def option(command: list[str], name: str) -> str:
    """The value of ``--name=value`` (or ``--name value``) in a container's command."""
    for i, arg in enumerate(command):
        if arg.startswith(f"--{name}="):
            return arg.partition("=")[2]
        if arg == f"--{name}":
            return command[i + 1]
    raise AssertionError(f"no --{name} in {shlex.join(command)}")


def test_every_manifest_passes_the_kubernetes_schemas_strictly():
    assert MANIFESTS
    result = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", *map(str, MANIFESTS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout + result.stderr and "WARN" not in result.stdout + result.stderr


def test_the_kustomization_lists_every_manifest():
    listed = yaml.safe_load(KUSTOMIZATION.read_text())["resources"]
    assert sorted(listed) == [p.name for p in MANIFESTS]


def test_workers_consume_the_common_split_and_every_queue():
    found = deployments()
    queues = {}
    for name in WORKER_SPLIT:
        container = found[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"][:3] == ["celery", "--app=supportdesk", "worker"]
        queues[name] = set(option(container["command"], "queues").split(","))
    assert queues == WORKER_SPLIT
    assert set().union(*queues.values()) == set(QUEUES)  # a queue nobody consumes would fill up unseen
    assert {n for n in found if n.startswith("worker")} == set(WORKER_SPLIT)


def test_a_workers_liveness_probe_pings_that_worker():
    for name, deployment in deployments().items():
        if not name.startswith("worker"):
            continue
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        node = option(container["command"], "hostname").replace("$(POD_NAME)", "$POD_NAME")
        probe = container["livenessProbe"]["exec"]["command"]
        assert probe[:2] == ["sh", "-c"] and "inspect ping" in probe[2] and f"--destination={node}" in probe[2]
        # the ping's own timeout ends before the kubelet gives up on the probe
        assert int(option(shlex.split(probe[2]), "timeout")) < container["livenessProbe"]["timeoutSeconds"]


def test_exactly_one_beat_and_never_two_during_a_rollout():
    beats = [
        d for d in deployments().values() if d["spec"]["template"]["spec"]["containers"][0]["command"][2] == "beat"
    ]
    assert len(beats) == 1
    assert beats[0]["spec"]["replicas"] == 1
    assert beats[0]["spec"]["strategy"] == {"type": "Recreate"}


def test_migrations_run_as_a_job_and_not_in_the_web_pods():
    jobs = [r for r in resources() if r["kind"] == "Job"]
    assert [j["spec"]["template"]["spec"]["containers"][0]["command"] for j in jobs] == [
        ["python", "manage.py", "migrate", "--noinput"]
    ]
    assert jobs[0]["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    web = deployments()["web"]["spec"]["template"]["spec"]["containers"][0]
    assert "migrate" not in " ".join(web["command"])


@pytest.mark.django_db
def test_the_web_probes_ask_paths_the_portal_answers(client):
    web = deployments()["web"]["spec"]["template"]["spec"]["containers"][0]
    paths = {web[probe]["httpGet"]["path"] for probe in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert paths == {"/health/live", "/health/ready"}
    assert web["livenessProbe"]["httpGet"]["path"] == "/health/live"  # no I/O: a database outage restarts nothing
    assert web["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = web[probe]["httpGet"]
        headers = {h["name"]: h["value"] for h in get.get("httpHeaders", [])}
        # as the kubelet asks: from the pod's own address, with the probe's headers
        response = client.get(get["path"], headers=headers, REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 200, f"{probe} {get['path']}: {response.status_code}, the pod never serves"


def test_the_probes_host_header_is_an_allowed_host():
    config = next(r for r in resources() if r["kind"] == "ConfigMap")
    allowed = config["data"]["DJANGO_ALLOWED_HOSTS"].split(",")
    web = deployments()["web"]["spec"]["template"]["spec"]["containers"][0]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        headers = {h["name"]: h["value"] for h in web[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed  # else Django answers 400 and the pod never becomes ready
        assert headers["X-Forwarded-Proto"] == "https"  # else the HTTPS redirect answers 301
    assert config["data"]["DJANGO_BEHIND_PROXY"] == "true"  # what makes Django believe that header


def test_no_secret_in_the_repository_and_every_pod_reads_the_same_configuration():
    assert not [r for r in resources() if r["kind"] == "Secret"]
    config = next(r for r in resources() if r["kind"] == "ConfigMap")["data"]
    for secret in ("DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        assert secret not in config
    for spec in pod_specs():
        container = spec["containers"][0]
        assert container["envFrom"] == [
            {"configMapRef": {"name": "supportdesk-config"}},
            {"secretRef": {"name": "supportdesk-secrets"}},
        ]
        assert all("valueFrom" in e for e in container.get("env", []))  # no literal values beside the two


def test_every_pod_runs_as_the_images_unprivileged_user_on_a_read_only_root():
    for spec in pod_specs():
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == 10001  # the Dockerfile's user
        for container in spec["containers"]:
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }
            assert "memory" in container["resources"]["limits"] and container["resources"]["requests"]
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts  # gunicorn's and beat's files, on the read-only root


def test_media_is_one_volume_every_web_and_worker_pod_shares():
    claim = next(r for r in resources() if r["kind"] == "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    config = next(r for r in resources() if r["kind"] == "ConfigMap")["data"]
    for name, deployment in deployments().items():
        if name == "beat":
            continue
        spec = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["mountPath"] == config["MEDIA_ROOT"])
        assert volumes[mount["name"]]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
