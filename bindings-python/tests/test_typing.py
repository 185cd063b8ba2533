"""The published types, checked the way users check their code: pyright (strict) and mypy (--strict)
accept the typed usage file, and report every mistake in the misuse file, on its line."""

import json
import pathlib
import re
import subprocess
import sys

import pytest

TYPED = pathlib.Path(__file__).parent / "typed"


def marked_lines(path):
    return {number for number, line in enumerate(path.read_text().splitlines(), 1) if line.endswith("# error")}


def pyright(path):
    run = subprocess.run(
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, "--outputjson", str(path)], capture_output=True, text=True, cwd=TYPED
    )
    report = json.loads(run.stdout)
    return [d for d in report["generalDiagnostics"] if d["severity"] == "error"]


def mypy(path):
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null", str(path)],
        capture_output=True,
        text=True,
        cwd=TYPED,
    )
    return [line for line in run.stdout.splitlines() if ": error:" in line]


@pytest.mark.parametrize("checker", [pyright, mypy])
def test_typed_usage_passes_strict_checking(checker):
    assert checker(TYPED / "usage.py") == []


def test_pyright_reports_every_mistake_on_its_line():
    errors = pyright(TYPED / "misuse.py")
    assert {d["range"]["start"]["line"] + 1 for d in errors} == marked_lines(TYPED / "misuse.py"), errors


def test_mypy_reports_every_mistake_on_its_line():
    errors = mypy(TYPED / "misuse.py")
    lines = {int(re.match(r"[^:]+:(\d+):", e).group(1)) for e in errors}
    assert lines == marked_lines(TYPED / "misuse.py"), errors
