from pathlib import Path

from construisons.service import run_cli
from incubation.config import Settings

run_cli(
    service_dir=Path(__file__).resolve().parents[2],
    app_factory="incubation.main:create_app",
    settings=Settings(),
    port=8003,
)
