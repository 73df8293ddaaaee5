"""The deployment files an IT team starts from: the compose file is complete and consistent with
.env.example, the images follow the scripts' pins (the files are parsed here; `make
compose-smoke` builds and runs them for real where a Docker engine is)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SMOKE = yaml.safe_load((ROOT / "infra" / "compose.smoke.yml").read_text())
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
DOCKERFILE = (ROOT / "infra" / "Dockerfile").read_text()
ONE_SHOT = {"migrate"}  # runs to completion at each start; no health, no restart
BOTS = ("slack-bot", "matrix-bot")


def _torch_pin(text: str) -> set[str]:
    return set(re.findall(r"torch==([0-9][0-9.]*)", text))


def test_services_have_healthchecks_restart_policies_and_named_volumes() -> None:
    """Each long-running service restarts on failure, reports its health, and keeps data in
    named volumes."""
    services = COMPOSE["services"]
    assert {"postgres", "migrate", "slack-bot", "matrix-bot", "synapse", "llm"} <= set(services)
    assert {"inference", "embeddings"} <= set(services)
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source in COMPOSE["volumes"], (name, volume)  # named, not a host path
        if name in ONE_SHOT:
            continue
        assert service.get("restart") == "unless-stopped", name
        assert "test" in service.get("healthcheck", {}), name


def test_profiles_default_stack_is_postgres_and_the_slack_bot() -> None:
    """`docker compose up` starts PostgreSQL, the migrations and the Slack bot; the models, the
    Matrix bot and the trial homeserver start only when their profile is asked for."""
    services = COMPOSE["services"]
    default = {name for name, service in services.items() if "profiles" not in service}
    assert default == {"postgres", "migrate", "slack-bot"}
    assert services["matrix-bot"]["profiles"] == ["matrix"]
    assert services["synapse"]["profiles"] == ["synapse"]
    assert services["llm"]["profiles"] == ["cpu-llm"]
    assert services["inference"]["profiles"] == ["gpu"]
    assert services["embeddings"]["profiles"] == ["gpu"]
    assert "matrix-bot-data:/var/lib/medgpt" in services["matrix-bot"]["volumes"]


def test_migrations_run_once_before_the_bots() -> None:
    """The schema is migrated by one container at start; no bot starts before it succeeded."""
    services = COMPOSE["services"]
    assert services["migrate"]["command"] == ["db", "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for bot in BOTS:
        condition = services[bot]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", bot


def test_inference_server_gets_a_gpu_and_a_pinned_revision() -> None:
    """The GPU is reserved for the inference server; its model revision comes from .env."""
    inference = COMPOSE["services"]["inference"]
    [device] = inference["deploy"]["resources"]["reservations"]["devices"]
    assert device["capabilities"] == ["gpu"]
    assert any("--revision=${LLM_MODEL_REVISION?" in arg for arg in inference["command"])


def test_every_variable_is_documented_and_no_secret_is_inlined() -> None:
    """Whatever ${VAR} the compose files use is in .env.example; secrets come only from it."""
    text = (ROOT / "docker-compose.yml").read_text()
    text += (ROOT / "infra" / "compose.smoke.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    documented = set(re.findall(r"^([A-Z0-9_]+)=", ENV_EXAMPLE, re.MULTILINE))
    assert used - documented == set()
    slack = COMPOSE["services"]["slack-bot"]["environment"]
    for secret in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        assert slack[secret].startswith("${"), secret
    matrix = COMPOSE["services"]["matrix-bot"]["environment"]
    for secret in ("MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN", "MEDGPT_AUDIT_KEY"):
        assert matrix[secret].startswith("${"), secret
    postgres = COMPOSE["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


# What the image or the compose file fixes for a container, and what only the console reads.
NOT_FROM_ENV = {
    "MEDGPT_DATA_DIR",  # the image's, on the bot's volume
    "MEDGPT_HEALTH_HOST",  # every interface of the container
    "MEDGPT_HEALTH_PORT",  # 8080, which the health check reads
    "SLACK_HTTP_HOST",  # every interface of the container
    "SLACK_HTTP_PORT",  # 3000, which the compose file publishes (SLACK_HTTP_PUBLISH)
    "MEDGPT_RESIDENT_IDLE_S",  # `medgpt ask` at a terminal
}


def test_every_setting_of_the_bots_can_be_set_from_the_env_file() -> None:
    """Operator: whatever the bot reads (the hospital's emergency call, the IPP pattern, the
    audience, the abstention thresholds…) is set in .env, not by editing the compose file; a
    platform's settings reach its own bot only."""
    from bots.settings import Settings

    names = {field.validation_alias for field in Settings.model_fields.values()}
    assert all(isinstance(name, str) for name in names)
    wanted = {str(name) for name in names} - NOT_FROM_ENV
    services = COMPOSE["services"]
    for bot, own, other in (
        ("slack-bot", "SLACK_", "MATRIX_"),
        ("matrix-bot", "MATRIX_", "SLACK_"),
    ):
        passed = set(services[bot]["environment"])
        expected = {name for name in wanted if not name.startswith(other)}
        assert expected - passed == set(), bot
        assert not {name for name in passed if name.startswith(other)}, bot
        assert {name for name in passed if name.startswith(own)}, bot
    documented = set(re.findall(r"^([A-Z0-9_]+)=", ENV_EXAMPLE, re.MULTILINE))
    assert wanted - {"DATABASE_URL"} <= documented


def test_no_secret_is_baked_into_an_image() -> None:
    """No Dockerfile sets a token, password, key or CA bundle: they come at run time."""
    for dockerfile in (ROOT / "infra").rglob("Dockerfile"):
        for line in dockerfile.read_text().splitlines():
            if re.match(r"\s*(ENV|ARG)\b", line):
                assert not re.search(r"TOKEN|PASSWORD|SECRET|_KEY|CERT|CA_BUNDLE", line), line
        assert "ca-certificates.crt" not in dockerfile.read_text(), dockerfile


def test_image_names_can_be_replaced_by_local_builds() -> None:
    """Where no registry answers, the Debian-built bases stand in for the upstream images."""
    services = COMPOSE["services"]
    assert services["postgres"]["image"].startswith("${POSTGRES_IMAGE:-pgvector/pgvector:")
    for name in ("migrate", *BOTS, "llm", "synapse"):
        base = services[name]["build"]["args"]["BASE_IMAGE"]
        assert base == "${BOT_BASE_IMAGE:-python:3.11-slim-bookworm}", name
    script = ROOT / "infra" / "build-local-bases"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert 'echo "BOT_BASE_IMAGE=' in text
    assert 'echo "POSTGRES_IMAGE=' in text
    assert "postgresql-17-pgvector" in text  # pgvector 0.8, as upstream pgvector/pgvector:0.8.0


def test_bot_image_pins_the_scripts_torch_on_cpu_and_runs_as_non_root() -> None:
    """The bot's image installs the same PyTorch as scripts/bootstrap, the CPU build, drops
    root, and reports its health on /healthz at MEDGPT_HEALTH_PORT."""
    bootstrap = (ROOT / "scripts" / "bootstrap").read_text()
    assert _torch_pin(DOCKERFILE) == _torch_pin(bootstrap) != set()
    assert "download.pytorch.org/whl/cpu" in DOCKERFILE
    assert "USER medgpt" in DOCKERFILE
    assert "ARG BASE_IMAGE=python:3.11-slim-bookworm" in DOCKERFILE
    assert DOCKERFILE.count("FROM ${BASE_IMAGE}") == 2  # build tools stay out of the final image
    lines = DOCKERFILE.splitlines()
    [healthcheck] = [line for line in lines if "CMD" in line and "/healthz" in line]
    assert "MEDGPT_HEALTH_PORT" in healthcheck
    assert "--mount" not in DOCKERFILE  # the classic builder of a distribution's docker builds it


def _dev_pins() -> dict[str, str]:
    import tomllib

    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {re.split(r"[\[=]", pin)[0]: pin for pin in dev["dev"]}


def _requirements(service: str) -> list[str]:
    text = (ROOT / "infra" / service / "requirements.txt").read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_service_images_run_what_the_tests_run() -> None:
    """The llama.cpp server and the trial Synapse in the images are the versions the test suite
    runs (the dev extra), so what CI proves is what an IT team starts."""
    pins = _dev_pins()
    for service in ("llm-cpu", "synapse"):
        for pin in _requirements(service):
            assert pins[re.split(r"[\[=]", pin)[0]] == pin, (service, pin)
    assert len(_requirements("llm-cpu")) == 2


def test_images_install_python_packages_one_way() -> None:
    """Every image installs through infra/pip-install (prepared wheels alone, else the index),
    with the build tools and wheels left in a thrown-away stage and a non-root user at run."""
    assert os.access(ROOT / "infra" / "pip-install", os.X_OK)
    for name in ("Dockerfile", "llm-cpu/Dockerfile", "synapse/Dockerfile"):
        text = (ROOT / "infra" / name).read_text()
        assert "/tmp/pip-install /opt/" in text, name
        assert "pip install --no-index --find-links /wheels" not in text, name
        assert text.count("FROM ${BASE_IMAGE}") == 2, name
        assert re.search(r"^USER (?!root)\w+$", text, re.MULTILINE), name
        assert "--mount" not in text, name  # the classic builder of a distribution's docker
    llm = (ROOT / "infra" / "llm-cpu" / "Dockerfile").read_text()
    assert "-DGGML_NATIVE=OFF" in llm  # portable: the AMX crash of scripts/bootstrap
    assert "--no-binary llama-cpp-python" in llm  # compiled in the image, for its own libraries


def test_bot_image_copies_every_package_the_project_declares() -> None:
    """The image builds the project's wheel from what it copies: a package declared in
    pyproject.toml but not copied fails the build ("package directory ... does not exist")."""
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    tops = {package.split(".")[0] for package in setuptools["packages"]}
    copied = set(re.findall(r"^COPY (\w+)(?:/\S*)? /src/\1", DOCKERFILE, re.MULTILINE))
    assert tops <= copied, tops - copied


def test_bot_image_does_not_switch_the_hub_client_offline() -> None:
    """HF_HUB_OFFLINE in the bot's environment makes huggingface_hub refuse the generator's
    requests to the stack's own LLM server: every answer would silently be extracts."""
    assert not re.search(r"HF_HUB_OFFLINE=", DOCKERFILE)
    for bot in BOTS:
        assert "HF_HUB_OFFLINE" not in COMPOSE["services"][bot]["environment"], bot


def test_compose_smoke_is_a_make_target() -> None:
    """`make compose-smoke` runs the stack's smoke test script."""
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(
        r"^compose-smoke:.*\n\tscripts/compose-smoke \$\(PROFILE\)$", makefile, re.MULTILINE
    )
    assert os.access(ROOT / "scripts" / "compose-smoke", os.X_OK)
    assert set(SMOKE["services"]) == {"slack-fake", "smoke-tools"}


def test_a_variable_left_blank_in_the_env_file_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compose passes VAR= for what .env leaves blank: the bot starts with the default, and an
    empty Matrix token does not replace the password login."""
    from bots.settings import Settings

    for name in ("MEDGPT_PREWARM_MB", "MATRIX_ACCESS_TOKEN", "LLM_URL", "SLACK_APP_TOKEN"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.prewarm_mb is None
    assert settings.matrix_access_token is None
    assert settings.llm_url is None
    assert settings.slack_app_token is None
