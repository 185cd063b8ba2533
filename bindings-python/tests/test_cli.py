"""The `calllogs-contract` console script of the installed wheel: the same command as the Rust binary."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import sysconfig

import pytest

from unpod_calllogs.testing import ReferenceServer

SCRIPT = pathlib.Path(sysconfig.get_path("scripts")) / "calllogs-contract"


def cli(*args: str, env: "dict[str, str] | None" = None) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_the_wheel_installs_the_console_script() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT} is not installed"
    result = cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "calllogs-contract 0.1.0"


def test_run_against_the_embedded_server_passes_with_a_json_report() -> None:
    result = cli("run", "--records", "300", "--cases", "4", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["checks"] and all(
        c["outcome"]["status"] in ("passed", "skipped") for c in report["checks"]
    )
    assert "the embedded reference server" in result.stderr


def test_run_finds_a_broken_server_and_keeps_the_token_out_of_the_report(tmp_path: pathlib.Path) -> None:
    with ReferenceServer(records=300, fault="ignore-call-status") as server:
        env = {**os.environ, "UNPOD_PLATFORM_TOKEN": server.token}
        report = tmp_path / "report.xml"
        result = cli(
            "run", "--base-url", server.url, "--org-handle", server.org_handle,
            "--cases", "8", "--format", "junit", "--output", str(report), env=env,
        )
    assert result.returncode == 1, result.stderr
    text = report.read_text()
    assert "<failure" in text
    assert server.token not in text + result.stdout + result.stderr


def test_a_usage_error_is_status_2_and_names_the_argument() -> None:
    result = cli("run", "--cases", "0")
    assert result.returncode == 2
    assert "--cases" in result.stderr


def test_schema_check_reports_a_stale_folder(tmp_path: pathlib.Path) -> None:
    assert cli("schema", "--out", str(tmp_path)).returncode == 0
    assert cli("schema", "--out", str(tmp_path), "--check").returncode == 0
    next(tmp_path.glob("*.json")).write_text("{}")
    assert cli("schema", "--out", str(tmp_path), "--check").returncode == 1


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_serve_answers_and_stops_on_ctrl_c() -> None:
    import urllib.request

    with subprocess.Popen(
        [str(SCRIPT), "serve", "--port", "0", "--records", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as serve:
        assert serve.stdout is not None
        banner = serve.stdout.readline()
        url = banner.rsplit(" ", 1)[-1].strip()
        lines = {}
        for line in serve.stdout:
            if ":" in line and line.startswith("  "):
                name, value = line.strip().split(":", 1)
                lines[name] = value.strip()
            if line.startswith("try:"):
                break
        request = urllib.request.Request(
            lines["endpoint"] + "?page_size=1",
            headers={"Authorization": f"Token {lines['token']}", "Org-Handle": lines["org handle"]},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.load(answer)["count"] == 30
        assert url.startswith("http://127.0.0.1:")
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=30) == 0
