from pathlib import Path

from construisons.service import run_cli
from review.config import Settings

run_cli(
    service_dir=Path(__file__).resolve().parents[2],
    app_factory="review.main:create_app",
    settings=Settings(),
    port=8002,
)
