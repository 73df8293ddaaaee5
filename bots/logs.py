"""structlog configuration: readable console lines in a terminal, JSON lines elsewhere."""

from __future__ import annotations

import logging
import sys

import structlog

from core.privacy import scrub


def scrub_identifiers(
    logger: object, method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Last line of defence: identifiers with a shape (NIR, phone, e-mail, birth date, IPP,
    address) never reach a log line, whatever a developer logged."""
    return {key: _scrubbed(value) for key, value in event.items()}


def _scrubbed(value: object) -> object:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    return value


def configure_logging(level: int = logging.WARNING, fmt: str = "auto") -> None:
    """Logs go to stderr so a command's answer on stdout stays clean."""
    json_lines = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            scrub_identifiers,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Looked up at each use, so a replaced sys.stderr (tests, daemons) is honoured.
        logger_factory=lambda *args: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr)
