"""The checked-in API documents stay true to the code."""

import importlib.util
from pathlib import Path

import pytest

GENERATOR = Path(__file__).resolve().parents[1] / "docs" / "generate.py"
_spec = importlib.util.spec_from_file_location("docs_generate", GENERATOR)
assert _spec and _spec.loader
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)
DOCUMENTS = generate.documents()


@pytest.mark.parametrize("path", sorted(DOCUMENTS), ids=lambda p: p.name)
def test_checked_in_document_is_current(path: Path) -> None:
    assert path.exists(), f"{path.name} missing: run `make docs`"
    assert path.read_text(encoding="utf-8") == DOCUMENTS[path], (
        f"{path.name} is stale: run `make docs`"
    )
