from pathlib import Path

from construisons.service import run_cli
from notifications.config import Settings

run_cli(
    service_dir=Path(__file__).resolve().parents[2],
    app_factory="notifications.main:create_app",
    settings=Settings(),
    port=8004,
)
