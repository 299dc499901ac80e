"""Write the OpenAPI and AsyncAPI documents of every service into docs/ (`make docs`)."""

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from construisons.service import asyncapi

DOCS = Path(__file__).resolve().parent
SERVICES = ("intake", "review", "incubation", "notifications")


def documents() -> dict[Path, str]:
    """Every document, by the file it belongs in."""
    out: dict[Path, str] = {}
    for service in SERVICES:
        settings_cls = importlib.import_module(f"{service}.config").Settings
        # Explicit values, so that the documents do not depend on the local environment.
        settings = settings_cls(
            rabbitmq_url="amqp://guest:guest@rabbitmq:5672/",
            bus_exchange="construisons",
            bus_queue_prefix="",
        )
        app = importlib.import_module(f"{service}.main").create_app(settings)
        out[DOCS / f"{service}.openapi.json"] = _render(app.openapi())
        out[DOCS / f"{service}.asyncapi.json"] = _render(asyncapi(app))
    return out


def _render(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    for path, text in documents().items():
        path.write_text(text, encoding="utf-8")
    sys.stdout.write(f"documents written to {DOCS}\n")
