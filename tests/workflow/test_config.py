"""Scale files: loading errors name the file."""

import pytest

from relurepro.pipeline.config import load_scale


@pytest.mark.parametrize("text", ["", "\n# only a comment\n", "- a list\n", "relu_prime: [unclosed\n"])
def test_empty_or_unreadable_scale_file_names_the_file(tmp_path, text):
    path = tmp_path / "smoke.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=f"scale file {path}"):
        load_scale(path)


def test_scale_keys_become_strings(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("relu_prime: {runs: {32: 1000}}\n")
    assert load_scale(path) == {"relu_prime": {"runs": {"32": 1000}}}
