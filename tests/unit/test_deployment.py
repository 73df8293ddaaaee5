"""The deployment files an IT team starts from: the compose file is complete and consistent
with .env.example (no Docker engine here, so the file is checked by parsing it)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def test_services_have_healthchecks_restart_policies_and_named_volumes() -> None:
    """Each service restarts on failure, reports its health, and keeps data in named volumes."""
    services = COMPOSE["services"]
    assert {"postgres", "inference", "embeddings", "slack-bot", "matrix-bot", "synapse"} <= set(
        services
    )
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        assert "test" in service.get("healthcheck", {}), name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source in COMPOSE["volumes"], (name, volume)  # named, not a host path


def test_inference_server_gets_a_gpu_and_a_pinned_revision() -> None:
    """The GPU is reserved for the inference server; its model revision must be set."""
    inference = COMPOSE["services"]["inference"]
    [device] = inference["deploy"]["resources"]["reservations"]["devices"]
    assert device["capabilities"] == ["gpu"]
    assert any("--revision=${LLM_MODEL_REVISION:?" in arg for arg in inference["command"])


def test_every_variable_is_documented_and_no_secret_is_inlined() -> None:
    """Whatever ${VAR} the compose file uses is in .env.example; secrets come only from it."""
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    documented = set(re.findall(r"^([A-Z0-9_]+)=", ENV_EXAMPLE, re.MULTILINE))
    assert used - documented == set()
    slack = COMPOSE["services"]["slack-bot"]["environment"]
    for secret in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        assert slack[secret].startswith("${"), secret
    matrix = COMPOSE["services"]["matrix-bot"]["environment"]
    for secret in ("MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN", "MEDGPT_AUDIT_KEY"):
        assert matrix[secret].startswith("${"), secret


def test_each_chat_platform_is_a_profile_and_the_matrix_bot_keeps_its_device() -> None:
    """A hospital starts only the bots it uses; the Matrix device survives a container rebuild;
    the trial homeserver never starts unless asked for."""
    services = COMPOSE["services"]
    assert services["slack-bot"]["profiles"] == ["slack"]
    assert services["matrix-bot"]["profiles"] == ["matrix"]
    assert services["synapse"]["profiles"] == ["synapse"]
    assert "matrix-bot-data:/var/lib/medgpt" in services["matrix-bot"]["volumes"]
    assert services["matrix-bot"]["depends_on"]["synapse"]["required"] is False


def test_bot_image_runs_as_a_non_root_user_with_cpu_torch() -> None:
    """The bot's image drops root and never installs a CUDA build of PyTorch."""
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    assert "USER medgpt" in dockerfile
    assert "download.pytorch.org/whl/cpu" in dockerfile
    assert dockerfile.count("FROM ") == 2  # multi-stage: build tools stay out of the final image
