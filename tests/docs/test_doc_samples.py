"""The code samples of the docs site (docs/*.md, the READMEs its pages include) and of README.md run.

Each document's samples run in order in a fresh directory, as a reader would try them. The
fence's info string says what a sample is; after the language, words may follow:

``file=NAME``
    the block is written to ``NAME`` (relative to the directory) before any block runs, so other
    blocks can use it. A block directly after a line ending in ``NAME``: in backticks and a colon
    (the README's "`my_pipelines/transforms.py`:") is written there too.
``skip``
    not run: it needs what a test cannot have (a cluster, S3, a package index, the whole suite).
``fragment``
    a HOCON block that is deliberately part of a pipeline: parsed, not validated.
``exit=N``
    a shell block that is expected to end with status ``N``.
``project=DIR``
    the block runs in a copy of the repository's ``DIR`` (``examples/user_etl``), for a sample that
    uses an example's own modules.

By language:

* ``python``: executed in a subprocess (the directory is the working directory and on
  ``sys.path``) after the document's earlier Python samples, so a sample may use what an earlier
  one defined, as a reader would; a sample written to a file is a module: compiled, and run where
  it is used.
* ``hocon``: parsed; a whole pipeline (a ``pipeline`` block with ``steps``) is checked with
  ``ppf validate``, and so is a step (an object with ``name`` and ``type``) or a ``steps = [...]``
  list, as the steps of a pipeline after a CSV source (the input of a transform, validator or sink).
* ``bash``, ``console``: run with ``bash -e`` (``console``: the lines after ``$ ``); the ``ppf``
  on ``PATH`` is the installed one.
* ``json``, ``toml``: parsed.

Other blocks (output, diagrams, text) are not samples, except as files.
"""

from __future__ import annotations

import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pyhocon import ConfigFactory

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+)(?P<info>[^`\n]*)$")
INCLUDE = re.compile(r"^```\{include\}\s+(\S+)", re.MULTILINE)
NAMED_FILE = re.compile(r"`(?P<name>[\w./-]+\.\w+)`:\s*$")
MARKERS = {"skip", "fragment"}
RUNS = {"python", "hocon", "bash", "console", "json", "toml"}


@dataclass
class Sample:
    document: Path
    line: int
    language: str
    text: str
    markers: set[str] = field(default_factory=set)
    file: str | None = None
    exit_code: int = 0
    project: str | None = None

    @property
    def where(self) -> str:
        shown = self.document.relative_to(ROOT) if self.document.is_relative_to(ROOT) else self.document
        return f"{shown}:{self.line}"


def is_comment(line: str) -> bool:
    return line.strip().startswith("<!--") and line.strip().endswith("-->")


def samples_of(document: Path) -> list[Sample]:
    """The fenced blocks of a Markdown document, with their info strings read as the docstring says."""
    lines = document.read_text(encoding="utf-8").splitlines()
    found, index = [], 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        end = next(
            (i for i in range(index + 1, len(lines)) if lines[i].strip() == fence and lines[i].startswith(indent)),
            len(lines),
        )
        if not info or info.startswith("{"):  # output, diagrams; MyST directives ({toctree}, {include})
            index = end + 1
            continue
        body = "\n".join(line[len(indent) :] for line in lines[index + 1 : end]) + "\n"
        language, *words = info.split()
        sample = Sample(document, index + 1, language.lower(), body)
        for word in words:
            key, _, value = word.partition("=")
            if key == "file":
                sample.file = value
            elif key == "exit":
                sample.exit_code = int(value)
            elif key == "project":
                sample.project = value
            elif word in MARKERS:
                sample.markers.add(word)
            else:
                raise AssertionError(f"{sample.where}: unknown word {word!r} in the fence's info string")
        # The text a reader sees just before the block (HTML comments, e.g. formatter directives, are invisible).
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip() and not is_comment(lines[i])), "")
        named = NAMED_FILE.search(before)
        if sample.file is None and named:
            sample.file = named["name"]
        found.append(sample)
        index = end + 1
    return found


def documents() -> list[Path]:
    pages = sorted((ROOT / "docs").glob("*.md"))
    included = {
        (page.parent / target).resolve() for page in pages for target in INCLUDE.findall(page.read_text("utf-8"))
    }
    return [ROOT / "README.md", *pages, *sorted(included)]


def environment(directory: Path) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")]))
    env.pop("PPF_LEDGER_DIR", None)
    return env


def run(command: list[str], directory: Path, timeout: int = 600, stdin: str | None = None):
    return subprocess.run(
        command, cwd=directory, env=environment(directory), input=stdin, capture_output=True, text=True, timeout=timeout
    )


def is_whole_pipeline(config) -> bool:
    pipeline = config.get("pipeline", None)
    return hasattr(pipeline, "get") and pipeline.get("steps", None) is not None


#: Put before a step sample, so that a transform, validator or sink has an input to read.
SAMPLE_INPUT = {"name": "sample-input", "type": "CsvSource", "config": {"path": "in.csv"}}


def steps_of(config) -> list | None:
    """A step sample's steps as plain data: one step (``name`` and ``type``), or a ``steps = [...]`` list."""
    from pyhocon import HOCONConverter

    if "name" in config and "type" in config:
        return [json.loads(HOCONConverter.to_json(config))]
    if list(config) == ["steps"]:
        return json.loads(HOCONConverter.to_json(config))["steps"]
    return None


def problem_of(sample: Sample, directory: Path, before: str = "") -> str | None:
    """What is wrong with running ``sample`` in ``directory`` (its files already written), or None.

    ``before`` is the Python code that runs before a Python sample: the document's earlier samples.
    """
    language = sample.language
    if language == "python":
        if sample.file:
            try:
                py_compile.compile(str(directory / sample.file), doraise=True)
            except py_compile.PyCompileError as error:
                return str(error)
            return None
        done = run([sys.executable, "-"], directory, stdin=before + sample.text)
        return None if done.returncode == 0 else f"exit {done.returncode}\n{done.stdout}{done.stderr}"
    if language == "hocon":
        fragment = "fragment" in sample.markers
        try:
            config = ConfigFactory.parse_string(sample.text, resolve=False)
        except Exception as error:  # pyhocon's parse errors have no common base
            return f"not valid HOCON: {error}"
        if fragment:
            return None
        if is_whole_pipeline(config):
            text = sample.text
        else:
            steps = steps_of(config)
            if steps is None:
                return None
            text = json.dumps({"pipeline": {"name": "sample", "steps": [SAMPLE_INPUT, *steps]}}, indent=2)
        target = directory / (sample.file or f"sample-{sample.line}.conf")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        done = run([str(BIN / "ppf"), "validate", str(target.relative_to(directory))], directory)
        return None if done.returncode == 0 else f"ppf validate: exit {done.returncode}\n{done.stdout}{done.stderr}"
    if language in ("bash", "console"):
        script = sample.text
        if language == "console":
            script = "\n".join(line[2:] for line in sample.text.splitlines() if line.startswith("$ ")) + "\n"
        done = run(["bash", "-e", "-o", "pipefail", "-c", script], directory)
        if done.returncode != sample.exit_code:
            return f"exit {done.returncode} (expected {sample.exit_code})\n{done.stdout}{done.stderr}"
        return None
    try:
        json.loads(sample.text) if language == "json" else tomllib.loads(sample.text)
    except ValueError as error:
        return f"not valid {language}: {error}"
    return None


@pytest.mark.parametrize("document", documents(), ids=lambda path: str(path.relative_to(ROOT)))
def test_the_samples_of_the_document_run(document, tmp_path):
    samples = samples_of(document)
    for sample in samples:
        if sample.file:
            target = tmp_path / sample.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(sample.text, encoding="utf-8")
    problems, python = [], ""
    for sample in samples:
        if sample.language in RUNS and "skip" not in sample.markers:
            directory = tmp_path
            if sample.project:
                directory = tmp_path / "projects" / sample.project
                if not directory.exists():
                    ignore = shutil.ignore_patterns("out", "__pycache__", ".ppf")
                    shutil.copytree(ROOT / sample.project, directory, ignore=ignore)
            problem = problem_of(sample, directory, python)
            if problem:
                problems.append(f"{sample.where} ({sample.language}): {problem}")
            elif sample.language == "python" and not sample.file:
                python += sample.text
    assert not problems, "\n\n".join(problems)


def test_the_info_strings_are_read_as_documented(tmp_path):
    document = tmp_path / "page.md"
    document.write_text(
        "Create `conf/a.conf`:\n\n```hocon\npipeline { }\n```\n\n"
        "```hocon fragment file=b.conf\nsteps = []\n```\n\n"
        "  ```bash skip exit=2\n  ppf run\n  ```\n\n```\nplain\n```python\n```\n\n```{toctree}\nx\n```\n"
    )
    first, second, third = samples_of(document)
    assert (first.language, first.file, first.markers) == ("hocon", "conf/a.conf", set())
    assert (second.file, second.markers) == ("b.conf", {"fragment"})
    assert (third.language, third.markers, third.exit_code, third.text) == ("bash", {"skip"}, 2, "ppf run\n")


def test_a_wrong_sample_is_reported(tmp_path):
    wrong = Sample(ROOT / "README.md", 1, "hocon", 'pipeline { name = "x", steps = [ { name = a, type = Nope } ] }\n')
    assert "ppf validate: exit 2" in problem_of(wrong, tmp_path)
    misspelled = Sample(
        ROOT / "README.md", 2, "hocon", 'steps = [ { name = a, type = Filter, config { conditon = "x > 1" } } ]\n'
    )
    assert "conditon" in problem_of(misspelled, tmp_path)
    right = Sample(ROOT / "README.md", 3, "hocon", '{ name = a, type = Filter, config { condition = "x > 1" } }\n')
    assert problem_of(right, tmp_path) is None
    assert problem_of(Sample(ROOT / "README.md", 1, "python", "raise SystemExit(3)\n"), tmp_path)
    assert problem_of(Sample(ROOT / "README.md", 1, "hocon", "a = {\n"), tmp_path).startswith("not valid HOCON")
