"""The ``ppf`` script ends its process without the interpreter's teardown, and loses nothing doing so."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pyspark_pipeline_framework.runner.process_exit import exit_code


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)


def test_what_the_interpreters_exit_would_do_still_happens(tmp_path: Path):
    out = tmp_path / "out"
    done = run_python(f"""
        import atexit, concurrent.futures, threading, time
        from pathlib import Path
        from pyspark_pipeline_framework.runner.process_exit import exit_process

        out = Path({str(out)!r})
        out.mkdir()
        unclosed = open(out / "unclosed.txt", "w")  # a plugin's file, still open and buffered
        unclosed.write("buffered line")
        atexit.register(lambda: (out / "atexit.txt").write_text("ran"))

        def finish_later():
            time.sleep(0.3)
            (out / "thread.txt").write_text("joined")

        threading.Thread(target=finish_later).start()  # not a daemon: the exit waits for it
        pool = concurrent.futures.ThreadPoolExecutor(1)  # never shut down: its idle worker must not hang the exit
        pool.submit(lambda: None).result()
        print("to stdout", end="")
        exit_process(3)
        raise AssertionError("exit_process returned")
    """)
    assert done.returncode == 3, done.stderr
    assert done.stdout == "to stdout"
    assert (out / "unclosed.txt").read_text() == "buffered line"
    assert (out / "atexit.txt").read_text() == "ran"
    assert (out / "thread.txt").read_text() == "joined"


@pytest.mark.parametrize("script", ["main", "run_alias"], ids=["ppf", "ppf-run"])
def test_the_scripts_skip_the_interpreters_teardown(script):
    # An object whose finalizer would run during the interpreter's teardown: it must not run.
    done = run_python(f"""
        import sys

        class Teardown:
            def __del__(self):
                print("torn down", file=sys.stderr)

        keep = Teardown()
        sys.argv = ["ppf", "--help"]
        from pyspark_pipeline_framework.runner.cli import {script}
        {script}()
    """)
    assert done.returncode == 0 and "Usage" in done.stdout
    assert "torn down" not in done.stderr


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (2, 2), ("a message", 1)])
def test_exit_status_as_the_interpreter_maps_it(code, status, capsys):
    assert exit_code(SystemExit(code)) == status
    assert capsys.readouterr().err == ("a message\n" if isinstance(code, str) else "")
