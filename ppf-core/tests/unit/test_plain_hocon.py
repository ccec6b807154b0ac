"""The fast reader of plain HOCON gives what pyhocon gives, and leaves everything else to pyhocon.

The oracle is pyhocon itself: each file of the corpus (``hocon_corpus/``), the examples and the
Quick Start's pipeline is loaded both ways, and the resolved pipeline, or every error with its
path, file and line, must be the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhocon import ConfigFactory

from pyspark_pipeline_framework.core.errors import ConfigError
from pyspark_pipeline_framework.runner.config.plain_hocon import read_plain_hocon
from pyspark_pipeline_framework.runner.config.preflight import validate
from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file, parse_override

CORPUS = Path(__file__).parent / "hocon_corpus"
REPOSITORY = Path(__file__).resolve().parents[3]
EXAMPLES = sorted(
    [*REPOSITORY.glob("examples/**/*.conf"), *REPOSITORY.glob("tests/e2e/quickstart/**/*.conf")],
)
#: The corpus files the fast reader must read itself; every other one is left to pyhocon.
PLAIN = {
    "plain_chain.conf",
    "plain_comments.conf",
    "plain_merging.conf",
    "plain_values.conf",
    "invalid_keys.conf",
    "error_no_pipeline.conf",
}


@pytest.fixture(autouse=True)
def corpus_environment(monkeypatch):
    monkeypatch.setenv("PPF_CORPUS_APP", "corpus-app")
    monkeypatch.setenv("PPF_CORPUS_HOST", "corpus-host")
    monkeypatch.delenv("PPF_CORPUS_UNSET", raising=False)
    monkeypatch.delenv("PPF_CORPUS_SURELY_UNSET", raising=False)


def _outcome(path: Path, plain_reader: bool, overrides: tuple[str, ...] = ()) -> object:
    """The loaded and validated pipeline, or every issue with its path, message, file and line."""
    try:
        file = load_pipeline_file(path, overrides, plain_reader=plain_reader)
    except ConfigError as exc:
        return ("load", [issue.to_dict() for issue in exc.issues])
    try:
        validate(file)
    except ConfigError as exc:
        return ("validate", file.raw, [file.sources], [issue.to_dict() for issue in exc.issues])
    return ("valid", json.dumps(file.raw), file.sources)


def _pyhocon(text: str) -> object:
    return json.loads(json.dumps(ConfigFactory.parse_string(text).as_plain_ordered_dict()))


def test_the_corpus_has_files_for_both_readers():
    names = {p.name for p in CORPUS.glob("*.conf")}
    assert names > PLAIN and len(names - PLAIN) >= 5
    assert EXAMPLES, "no example pipeline found"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.conf")), ids=lambda p: p.name)
def test_the_fast_reader_reads_plain_files_and_leaves_the_rest_to_pyhocon(path):
    text = path.read_text(encoding="utf-8")
    plain = read_plain_hocon(text)
    if path.name in PLAIN:
        assert plain is not None, "the fast reader should read this file itself"
        # Same keys, values and key order as pyhocon.
        assert json.dumps(plain) == json.dumps(_pyhocon(text))
    else:
        assert plain is None, "this file uses HOCON beyond the plain subset: pyhocon must read it"


@pytest.mark.parametrize("path", [*sorted(CORPUS.glob("*.conf")), *EXAMPLES], ids=lambda p: p.name)
def test_loading_and_validating_gives_the_same_result_or_the_same_errors_either_way(path, monkeypatch):
    monkeypatch.chdir(path.parent)  # examples name their own modules relative to their directory
    monkeypatch.syspath_prepend(str(path.parent.parent if path.parent.name == "pipelines" else path.parent))
    assert _outcome(path, plain_reader=True) == _outcome(path, plain_reader=False)


@pytest.mark.parametrize(
    "overrides",
    [
        ("name=renamed", "spark.master=local[4]", "max_parallel_steps=3", "observe_rows=true"),
        ("spark.conf.extra=1.5", "retry.max_attempts=2", "steps[1].config.mode=append"),
        ("spark=plain",),  # a block replaced by a string: left to pyhocon
        ('spark={ master = "local[1]" }', "steps.read.config.path=elsewhere"),
        ("description=null",),
    ],
)
def test_overrides_give_the_same_result_either_way(overrides):
    path = CORPUS / "plain_chain.conf"
    assert _outcome(path, True, overrides) == _outcome(path, False, overrides)


def test_a_plain_value_replaced_by_an_object_is_left_to_pyhocon():
    # pyhocon refuses it; the fast reader must not accept what pyhocon rejects.
    assert read_plain_hocon("a = 5\na { b = 1 }") is None
    assert read_plain_hocon("a = x\na.b = 1") is None


@pytest.mark.parametrize(
    "text",
    [
        'a = "x"\nb = ${a}',
        'include "other.conf"',
        "a = [1]\na += 2",
        "a = foo bar",
        'a = "foo" "bar"',
        "a = 10s",
        "a = 1.2.3",
        "a = 1e3",
        "a = True",
        "a = x//y",
        "a = spark://host:7077",
        'a = "tab\\t"',
        'a = """x"""',
        'a."b.c".d = 1',
        "a =\n1",
        "a\n{ b = 1 }",
        "a = [ { x = 1 } { y = 2 } ]",
        "a = 1\r\nb = 2",
        "a { b = 1",
        "a = local[2]",
        'a = ["x", ""]',
        "a = [[1, null]]",
        'a = "tab\there"',
    ],
)
def test_anything_beyond_plain_hocon_is_left_to_pyhocon(text):
    assert read_plain_hocon(text) is None


_NAMES = st.from_regex(r"[a-z_][a-z0-9_-]{0,8}", fullmatch=True).filter(
    lambda n: (
        n.lower() not in {"true", "false", "null", "include", "yes", "no", "on", "off"}
        and not n.lower().startswith(("true", "false", "null", "include"))
    )
)
_SCALARS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3)),
    st.booleans(),
    st.none(),
    st.text(st.characters(blacklist_characters='"\\\n\r\t$', blacklist_categories=("Cs",)), max_size=12),
    _NAMES,
)
_VALUES = st.recursive(
    _SCALARS,
    # null and "" in lists are pyhocon's own business (it drops "" and wraps nested nulls): left to it.
    lambda inner: st.one_of(
        st.lists(inner.filter(lambda v: v is not None and v != ""), max_size=4),
        st.dictionaries(_NAMES, inner, max_size=4),
    ),
    max_leaves=12,
)


def _render(value: object, style: int) -> str:
    """HOCON text for ``value``, in one of several equivalent spellings."""
    if isinstance(value, dict):
        separator = ",\n" if style % 2 else ", "
        pairs = [f"{key}{' = ' if style % 3 else ': '}{_render(v, style + 1)}" for key, v in value.items()]
        return "{ " + separator.join(pairs) + (" }" if style % 2 == 0 else ",\n}")
    if isinstance(value, list):
        return "[" + ("\n" if style % 2 else ", ").join(_render(v, style + 1) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str) and style % 4 == 1 and value and read_plain_hocon(f"v = {value}") == {"v": value}:
        return value  # unquoted when the fast reader takes it as this very string
    return f'"{value}"'


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=5), st.integers(0, 11))
def test_generated_plain_documents_read_as_pyhocon_reads_them(document, style):
    text = "\n".join(f"{key} = {_render(value, style)}  # {key}" for key, value in document.items())
    plain = read_plain_hocon(text)
    assert plain is not None, text  # every spelling generated here is plain HOCON
    assert json.dumps(plain) == json.dumps(_pyhocon(text)), text


@pytest.mark.parametrize("value", ["null", "true", "false", "4", "-1.5", "007", "1e3", '"x"', '"a b"', '""', "[1, 2]"])
def test_override_values_are_what_pyhocon_makes_of_them(value):
    parsed = parse_override(f"spark.master={value}")[1]
    expected = ConfigFactory.parse_string(f"v = {value}").get("v")
    assert (type(parsed), parsed) == (type(expected), expected)


def test_a_plain_file_is_read_and_validated_without_pyhocon(tmp_path):
    # pyhocon's grammar is what made large files slow: a plain file must not need it at all.
    import subprocess
    import sys

    steps = ",\n".join(
        f'{{ name = "s{i}", type = Filter, config {{ condition = "id > {i}" }} }}' for i in range(1, 200)
    )
    path = tmp_path / "chain.conf"
    path.write_text(
        f'pipeline {{\n  name = chain\n  steps = [\n{{ name = "s0", type = ParquetSource, config {{ path = in }} }},\n'
        f"{steps},\n{{ name = out, type = ParquetSink, config {{ path = out }} }}\n  ]\n}}\n"
    )
    script = (
        "import sys\n"
        "from pyspark_pipeline_framework.runner.config.preflight import validate\n"
        "from pyspark_pipeline_framework.runner.config.reading import load_pipeline_file\n"
        f"pipeline = validate(load_pipeline_file({str(path)!r}, ['spark.master=local[1]', 'max_parallel_steps=2']))\n"
        "print(len(pipeline.spec.steps), 'pyhocon' in sys.modules, 'pyparsing' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["201", "False", "False"], done.stderr
