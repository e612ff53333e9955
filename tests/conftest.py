import os

import pytest

FIXTURES = os.path.join(os.path.dirname(__file__), "rules", "fixtures")


@pytest.fixture
def make_tree(tmp_path):
    """Write {relative path: text or bytes} under a temporary directory and return it."""

    def make(files: dict):
        for rel, content in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return tmp_path

    return make
