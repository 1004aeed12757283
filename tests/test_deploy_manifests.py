"""The deployment files: Kubernetes manifests validated against the API schemas shipped in the
`kubernetes-validate` wheel (offline), cross-checked with each other and with the app; the
Dockerfile checked structurally (no Docker engine here to build it)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from kubernetes_validate import utils as k8s

from cds_service.server import server_options
from cds_service.settings import Settings
from cds_service.smart.config import parse_smart_config
from cds_service.state import fhir_server_policy
from scoring.site_config import parse_site_config
from tests.app_fixtures import build_signed_client

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
# The oldest and newest Kubernetes minor versions the manifests must be valid for.
K8S_VERSIONS = ("1.27.0", k8s.latest_version() + ".0")


def documents() -> list[tuple[str, dict]]:
    found = []
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found.append((path.name, doc))
    return found


def by_kind(kind: str) -> dict:
    [doc] = [d for _, d in documents() if d["kind"] == kind]
    return doc


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize(
    ("name", "doc"),
    [
        pytest.param(n, d, id=f"{n}:{d['kind']}")
        for n, d in documents()
        if d["kind"] != "Kustomization"
    ],
)
def test_manifest_is_valid_for_the_kubernetes_api(name, doc, version):
    # strict: unknown fields (a typo such as `readinesProbe`) fail too
    k8s.validate(doc, version, strict=True)


def test_a_misspelt_field_is_caught():
    deployment = json.loads(json.dumps(by_kind("Deployment")))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(k8s.ValidationError):
        k8s.validate(deployment, K8S_VERSIONS[-1], strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_template():
    kustomization = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text())
    expected = {p.name for p in MANIFESTS} - {"kustomization.yaml", "secret.yaml"}
    assert set(kustomization["resources"]) == expected


def test_kinds_required_for_production_are_all_there():
    kinds = {d["kind"] for _, d in documents()}
    assert kinds >= {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "ConfigMap",
    }


def test_labels_selectors_and_names_agree():
    deployment, service, pdb = (
        by_kind("Deployment"),
        by_kind("Service"),
        by_kind("PodDisruptionBudget"),
    )
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (
        deployment["spec"]["selector"]["matchLabels"],
        service["spec"]["selector"],
        pdb["spec"]["selector"]["matchLabels"],
    ):
        assert selector.items() <= pod_labels.items()
    hpa = by_kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] > pdb["spec"]["minAvailable"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    port_names = {p["name"] for p in container["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in port_names
    refs = {(k, v["name"]) for e in container["envFrom"] for k, v in e.items()}
    assert refs == {
        ("configMapRef", by_kind("ConfigMap")["metadata"]["name"]),
        ("secretRef", by_kind("Secret")["metadata"]["name"]),
    }
    ingress = by_kind("Ingress")
    backends = {
        p["backend"]["service"]["name"]
        for r in ingress["spec"]["rules"]
        for p in r["http"]["paths"]
    }
    assert backends == {service["metadata"]["name"]}


def test_ingress_has_tls_and_keeps_metrics_and_probes_internal():
    ingress = by_kind("Ingress")
    hosts = {h for t in ingress["spec"]["tls"] for h in t["hosts"]}
    assert {r["host"] for r in ingress["spec"]["rules"]} <= hosts
    paths = [p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert "/cds-services" in paths
    assert "/smart" in paths  # the SMART app the cards link to
    assert not any(p in ("/", "/metrics", "/healthz", "/readyz") for p in paths)


def test_probes_hit_endpoints_the_app_answers(tmp_path):
    container = by_kind("Deployment")["spec"]["template"]["spec"]["containers"][0]
    client = build_signed_client(tmp_path).client
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        path = container[probe]["httpGet"]["path"]
        assert client.get(path).status_code == 200, probe
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"  # checks the database
    annotations = by_kind("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert client.get(annotations["prometheus.io/path"]).status_code == 200


def test_pods_run_unprivileged_with_a_grace_period_longer_than_gunicorns():
    spec = by_kind("Deployment")["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    container = spec["containers"][0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # the multiprocess metrics directory must be on a writable volume
    env = {e["name"]: e["value"] for e in container["env"]}
    mounts = [m["mountPath"] for m in container["volumeMounts"]]
    assert any(env["PROMETHEUS_MULTIPROC_DIR"].startswith(m + "/") for m in mounts)
    graceful = server_options(Settings(), host="0.0.0.0", port=8080, workers=1)["graceful_timeout"]
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert spec["terminationGracePeriodSeconds"] > graceful + pre_stop


def test_configmap_is_a_valid_service_configuration():
    data = by_kind("ConfigMap")["data"]
    env = {k: v for k, v in data.items() if k.startswith("PANNET_CDS_")}
    settings = Settings.from_env(env, serving=True)
    assert settings.audit_retention_days == int(data["PANNET_CDS_AUDIT_RETENTION_DAYS"])
    assert settings.log_format == "json"
    policy = fhir_server_policy(settings)
    assert (
        policy.refusal("https://ehr.example-hospital.org/fhir", "https://ehr.example-hospital.org")
        is None
    )
    parse_site_config(data["site.yaml"], source="ConfigMap site.yaml")
    mount = by_kind("Deployment")["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    mounted = {m["name"]: m["mountPath"] for m in mount}
    assert data["PANNET_CDS_CONFIG"] == f"{mounted['site-config']}/site.yaml"


def test_secret_is_a_template_without_credentials():
    secret = by_kind("Secret")
    values = secret["stringData"]
    issuers = json.loads(values["PANNET_CDS_TRUSTED_ISSUERS"])
    assert issuers and all("example" in iss for iss in issuers)
    url = values["PANNET_CDS_DATABASE_URL"]
    assert url.startswith("postgresql")
    frame_ancestors = by_kind("ConfigMap")["data"]["PANNET_CDS_SMART_FRAME_ANCESTORS"]
    smart = parse_smart_config(values["PANNET_CDS_SMART_ISSUERS"], frame_ancestors)
    assert smart.issuers and all("example" in iss for iss in smart.issuers)
    assert not re.search(r"://[^@/]*:[^@/]*@", url), "no password in the template URL"


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


def test_dockerfile_runs_as_a_non_root_user():
    users = [v for k, v in final_stage() if k == "USER"]
    assert users, "final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    # nothing after USER switches back or needs root
    after = final_stage()[[k for k, _ in final_stage()].index("USER") :]
    assert not any(k == "RUN" for k, _ in after)


def test_dockerfile_is_slim_with_a_health_check_on_the_served_port():
    stage = final_stage()
    assert "slim" in stage[0][1]
    [health] = [v for k, v in stage if k == "HEALTHCHECK"]
    assert "/healthz" in health
    exposed = {v for k, v in stage if k == "EXPOSE"}
    cmd = json.loads(next(v for k, v in stage if k == "CMD"))
    port = cmd[cmd.index("--port") + 1]
    assert exposed == {port}
    assert f"127.0.0.1:{port}/healthz" in health
    assert json.loads(next(v for k, v in stage if k == "ENTRYPOINT")) == ["pannet-cds"]


def test_dockerfile_bakes_in_no_secrets_and_no_test_data():
    for keyword, value in dockerfile_instructions():
        if keyword in ("ENV", "ARG", "LABEL"):
            names = [part.split("=")[0] for part in shlex.split(value)]
            assert not any(
                re.search(r"SECRET|PASSWORD|TOKEN|ISSUERS|DATABASE_URL", n, re.I) for n in names
            ), value
        if keyword in ("COPY", "ADD"):
            assert not re.search(r"\btests\b|\.env\b|\*\.pem|\*\.sqlite3", value), value
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".git", ".venv", "tests", "*.sqlite3"} <= set(ignore)
