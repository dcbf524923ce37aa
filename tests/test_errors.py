"""Bad input to a stage ends with a one-line error naming the file, and writes nothing."""


import pytest
from conftest import run_cli

from pipelines.kernel.config import ConfigError


def _one_line_error(result, needle: str):
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and needle in lines[0], lines[0]


def test_missing_input_file(tmp_path):
    result = run_cli("claims", "run", data_dir=tmp_path, check=False)
    _one_line_error(result, str(tmp_path / "tables" / "articles.parquet"))
    assert not (tmp_path / "tables" / "claims.parquet").exists()


def test_corrupt_parquet_input(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "articles.parquet").write_bytes(b"garbage")
    result = run_cli("claims", "run", data_dir=tmp_path, check=False)
    _one_line_error(result, "articles.parquet: not a readable Parquet file")
    assert not (tmp_path / "tables" / "claims.parquet").exists()


def test_missing_annotation_export(tmp_path):
    result = run_cli("annotate", "import", tmp_path / "nope.json", data_dir=tmp_path, check=False)
    _one_line_error(result, "nope.json")


def test_unknown_config_key_names_file_and_field(tmp_path):
    from pipelines.kernel.registry import load_registry

    bad = tmp_path / "outlets.yaml"
    bad.write_text("outlets:\n  - id: x\n    name: X\n    camp: western\n    languages: [en]\n"
                   "    domains: [x.com]\n    discovery: [{type: rss, url: 'http://x.com/rss'}]\n    colour: blue\n")
    with pytest.raises(ConfigError) as err:
        load_registry(bad)
    assert str(bad) in str(err.value) and "outlets[0].colour" in str(err.value) and "unknown key" in str(err.value)


def test_bad_value_names_field(tmp_path):
    from pipelines.kernel.registry import load_registry

    bad = tmp_path / "outlets.yaml"
    bad.write_text("outlets:\n  - id: x\n    name: X\n    camp: martian\n    languages: [en]\n"
                   "    domains: [x.com]\n    discovery: [{type: rss, url: 'http://x.com/rss'}]\n")
    with pytest.raises(ConfigError, match=r"outlets\[0\]\.camp: 'martian' is not one of 'western', "):
        load_registry(bad)


def test_invalid_yaml_names_line(tmp_path):
    from pipelines.kernel.config import load_yaml

    bad = tmp_path / "topic.yaml"
    bad.write_text("topic: x\nterms: [unclosed\n")
    with pytest.raises(ConfigError, match=r"topic.yaml \(line \d+\): invalid YAML"):
        load_yaml(bad)


def test_bad_date_option(tmp_path):
    result = run_cli("crawl", "--since", "yesterday", data_dir=tmp_path, check=False)
    _one_line_error(result, "--since: 'yesterday' is not a date")


def test_brackets_in_an_error_are_printed_as_they_are(tmp_path):
    """Error lines are plain text: rich markup would eat `[granite-herald]` and `[bold]`."""
    result = run_cli("crawl", "--outlets", "[bold]granite-herald[/bold]", data_dir=tmp_path, check=False)
    _one_line_error(result, "unknown outlet id(s): [bold]granite-herald[/bold]")
