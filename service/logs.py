"""Structured (one JSON object per line) logging for the service and the CLI."""

import json
import logging
import logging.config
from typing import Any

from service.request_context import RequestIdFilter

_STANDARD_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig that sends every logger, uvicorn's included, through the JSON formatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        # Every line written while a request runs carries its X-Request-ID.
        "filters": {"request_id": {"()": RequestIdFilter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        # Alembic narrates every start at INFO; its warnings are what an operator needs. trafilatura warns about
        # each page it cannot read, which ingest already reports, once, as a skipped record.
        "loggers": {"alembic": {"level": "WARNING"}, "trafilatura": {"level": "ERROR"}}
        | {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }


def configure_logging(level: str) -> None:
    logging.config.dictConfig(logging_config(level))
