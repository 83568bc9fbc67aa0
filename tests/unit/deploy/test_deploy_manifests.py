"""deploy/: the Kubernetes manifests are valid API objects that fit together,
and the compose file wires the services the way the README says."""

from __future__ import annotations

import copy
import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
# The oldest Kubernetes still commonly offered as a managed service, and the newest the package knows.
VERSIONS = ("1.30.0", kubernetes_validate.utils.latest_version())


def _render(folder: Path) -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: kustomize overlays cannot be rendered")
    return copy.deepcopy(_rendered(folder))


@functools.cache
def _rendered(folder: Path) -> list[dict[str, Any]]:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=True, timeout=60
    )
    return [document for document in yaml.safe_load_all(rendered.stdout) if document]


def _base_files() -> list[dict[str, Any]]:
    return [
        document
        for path in sorted((KUBERNETES / "base").glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def rendered(request) -> list[dict[str, Any]]:
    return _render(KUBERNETES / request.param)


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("version", VERSIONS)
def test_every_base_file_is_a_valid_object_without_any_renderer(version: str) -> None:
    objects = _base_files()
    assert len(objects) >= 9
    for item in objects:
        kubernetes_validate.validate(item, version, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_rendered_object_is_valid_against_the_api_schemas(rendered, version: str) -> None:
    for item in rendered:
        kubernetes_validate.validate(item, version, strict=True)


def test_a_schema_violation_is_caught() -> None:
    """The validation above refuses what a cluster would refuse."""
    service = _one(_base_files(), "Service", "coalition-api")
    broken = {**service, "spec": {**service["spec"], "ports": [{"port": "eighty"}]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_api_is_probed_sized_scaled_and_protected(rendered) -> None:
    api = _one(rendered, "Deployment", "coalition-api")
    pod = api["spec"]["template"]
    labels = pod["metadata"]["labels"]
    container = pod["spec"]["containers"][0]
    assert container["args"] == ["serve"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert "replicas" not in api["spec"]  # the autoscaler owns the count
    hpa = _one(rendered, "HorizontalPodAutoscaler", "coalition-api")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "coalition-api"}
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdb = _one(rendered, "PodDisruptionBudget", "coalition-api")
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]  # a node can always be drained
    assert _matches(pdb["spec"]["selector"]["matchLabels"], labels)
    service = _one(rendered, "Service", "coalition-api")
    assert _matches(service["spec"]["selector"], labels)
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    ingress = _one(rendered, "Ingress", "coalition")
    backends = {
        path["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]
    }
    assert backends == {"coalition-api"}


def test_every_process_runs_unprivileged_with_settings_and_secrets_by_reference(rendered) -> None:
    pods = {
        (o["kind"], o["metadata"]["name"]): o["spec"]["template"]["spec"]
        for o in rendered
        if o["kind"] in ("Deployment", "Job")
    }
    assert {name for _, name in pods} == {"coalition-api", "coalition-worker", "coalition-migrate"}
    assert pods[("Job", "coalition-migrate")]["containers"][0]["args"] == ["db", "upgrade"]
    assert pods[("Deployment", "coalition-worker")]["containers"][0]["args"] == ["worker"]
    config_maps = {o["metadata"]["name"] for o in rendered if o["kind"] == "ConfigMap"}
    assert not [o for o in rendered if o["kind"] == "Secret"], "secrets are created in the cluster, never rendered"
    images = {container["image"] for spec in pods.values() for container in spec["containers"]}
    assert len(images) == 1, "one image for every process"
    for spec in pods.values():
        assert spec["securityContext"]["runAsNonRoot"] is True
        for container in spec["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert "resources" in container
            sources = container["envFrom"]
            assert {s["configMapRef"]["name"] for s in sources if "configMapRef" in s} <= config_maps
            assert [s["secretRef"]["name"] for s in sources if "secretRef" in s] == ["coalition-secrets"]


def test_network_policies_deny_by_default_and_open_only_what_is_used(rendered) -> None:
    policies = [o for o in rendered if o["kind"] == "NetworkPolicy"]
    pod_labels = [o["spec"]["template"]["metadata"]["labels"] for o in rendered if o["kind"] in ("Deployment", "Job")]
    deny = _one(policies, "NetworkPolicy", "coalition-default-deny")
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]
    for policy in policies:
        selector = policy["spec"]["podSelector"]["matchLabels"]
        assert any(_matches(selector, labels) for labels in pod_labels), policy["metadata"]["name"]
    api_ingress = _one(policies, "NetworkPolicy", "coalition-api-ingress")
    assert [port["port"] for rule in api_ingress["spec"]["ingress"] for port in rule["ports"]] == [8000]
    egress_ports = {
        port["port"] for policy in policies for rule in policy["spec"].get("egress", []) for port in rule["ports"]
    }
    assert egress_ports == {53, 5432, 6379, 443}


def test_production_overrides_the_image_namespace_and_capacity() -> None:
    base, production = _render(KUBERNETES / "base"), _render(KUBERNETES / "overlays/production")
    assert {o["metadata"].get("namespace") for o in production if o["kind"] != "Namespace"} == {"coalition"}
    image = _one(production, "Deployment", "coalition-api")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith("registry.example.org/coalition:")
    assert (
        _one(production, "HorizontalPodAutoscaler", "coalition-api")["spec"]["minReplicas"]
        > (_one(base, "HorizontalPodAutoscaler", "coalition-api")["spec"]["minReplicas"])
    )
    assert _one(production, "Ingress", "coalition")["spec"]["tls"][0]["secretName"] == "coalition-tls"


# -- compose ---------------------------------------------------------------

COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def test_compose_runs_the_migration_once_before_the_api_and_the_worker() -> None:
    assert SERVICES["migrate"]["command"] == ["db", "upgrade"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("api-1", "api-2", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert SERVICES[name]["image"] == SERVICES["migrate"]["image"]
    assert SERVICES["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_compose_puts_two_api_replicas_behind_the_proxy() -> None:
    apis = [name for name, service in SERVICES.items() if service.get("command", [None])[0] == "serve"]
    assert sorted(apis) == ["api-1", "api-2"]
    proxy = SERVICES["proxy"]
    assert {name: dependency["condition"] for name, dependency in proxy["depends_on"].items()} == {
        "api-1": "service_healthy",
        "api-2": "service_healthy",
    }
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert upstreams is not None
    assert upstreams.group(1).split() == ["api-1:8000", "api-2:8000"]
    assert "health_uri /health/ready" in caddyfile


def test_compose_services_restart_keep_their_data_and_say_when_they_are_healthy() -> None:
    for name, service in SERVICES.items():
        assert service["restart"] == ("no" if name == "migrate" else "unless-stopped"), name
        if name not in ("migrate", "worker", "proxy"):
            assert service["healthcheck"]["test"][0] == "CMD", name
    assert "/health/ready" in " ".join(SERVICES["api-1"]["healthcheck"]["test"])
    named_volumes = {volume.split(":")[0] for service in SERVICES.values() for volume in service.get("volumes", [])} - {
        "./Caddyfile"
    }
    assert named_volumes == set(COMPOSE["volumes"]) == {"postgres-data", "valkey-data", "caddy-data"}


def test_every_secret_compose_needs_is_in_the_example_env_file_and_nowhere_in_compose() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert required == {"POSTGRES_PASSWORD", "REDIS_PASSWORD"}
    example = dict(
        line.split("=", 1)
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert required | set(re.findall(r"\$\{([A-Z_]+):-", text)) <= set(example)
    assert all(example[name].startswith("replace-with-") for name in required)
    assert "password" not in re.sub(r"\$\{[^}]*\}", "", text).lower().replace("_password", "")


def test_compose_file_passes_the_compose_tools_own_check(tmp_path: Path) -> None:
    tool = shutil.which("docker-compose") or shutil.which("podman-compose")
    if tool is None:
        pytest.skip("neither docker-compose nor podman-compose is installed")
    project = tmp_path / "deploy"
    shutil.copytree(DEPLOY, project, ignore=shutil.ignore_patterns("kubernetes", "scripts"))
    shutil.copy(project / ".env.example", project / ".env")
    checked = subprocess.run(
        [tool, "-f", str(project / "compose.yaml"), "config"], capture_output=True, text=True, timeout=60, check=False,
        env={name: value for name, value in os.environ.items() if not name.startswith(("COALITION_", "POSTGRES_"))},
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert yaml.safe_load(checked.stdout)["services"]["api-2"]["environment"]["COALITION_DATABASE_URL"].startswith(
        "postgresql://coalition:replace-with-"
    )
    (project / ".env").unlink()
    environment = {name: value for name, value in os.environ.items() if not name.endswith("_PASSWORD")}
    unset = subprocess.run([tool, "-f", str(project / "compose.yaml"), "config"], capture_output=True, text=True,
                           env=environment, timeout=60, check=False)  # fmt: skip
    assert unset.returncode != 0
    assert "set POSTGRES_PASSWORD in deploy/.env" in unset.stderr
