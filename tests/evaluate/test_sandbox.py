"""The sandbox under attack: each hostile program is contained, scored as a failure, and the next run works."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from sftlab.evaluate.sandbox import Job, Limits, Sandbox, isolation_works, process_cap, python_job

MODES = [m for m in ("bwrap", "unshare", "none") if isolation_works(m)]
LIMITS = Limits(wall_seconds=1.0, cpu_seconds=1, memory_mb=256, output_bytes=64 * 1024, processes=16)


@pytest.fixture(params=MODES)
def box(request, tmp_path, monkeypatch) -> Sandbox:
    # Scratch directories under this test's own tmp_path, so the leftover check sees only its own runs
    # (another test worker may be running sandboxes at the same time).
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return Sandbox(LIMITS, isolation=request.param, workers=2)


def leftover_processes() -> list[int]:
    """Processes working in one of this test's scratch directories (none should outlive a run)."""
    root = os.path.join(tempfile.gettempdir(), "sftlab-sbx-")
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.readlink(f"/proc/{entry.name}/cwd").startswith(root):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def assert_still_works(box: Sandbox) -> None:
    result = box.run(python_job("print(sum(int(x) for x in input().split()))", stdin="2 3 4\n"))
    assert (result.status, result.stdout) == ("ok", "9\n")


def test_runs_a_program_with_stdin_and_files(box):
    result = box.run(python_job("import data\nprint(data.X * int(input()))", stdin="7\n", extra_files={"data.py": "X = 6"}))
    assert (result.status, result.returncode, result.stdout) == ("ok", 0, "42\n")
    failing = box.run(python_job("raise SystemExit(3)"))
    assert (failing.status, failing.returncode) == ("error", 3)


def test_infinite_loop_is_killed_at_the_wall_limit(box):
    result = box.run(python_job("while True:\n    pass"))
    assert result.status == "timeout" and not result.ok
    assert result.seconds < LIMITS.wall_seconds + 1.5
    assert_still_works(box)


def test_background_children_are_killed_too(box):
    if box.isolation == "none" and process_cap() != "cgroup":
        pytest.skip("without namespaces or a pids cgroup a child that calls setsid escapes the kill")
    program = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\ntime.sleep(60)\n"
    result = box.run(python_job(program))
    assert result.status == "timeout"
    time.sleep(0.2)
    assert leftover_processes() == []


def test_fork_bomb_is_contained(box):
    if process_cap() is None:
        pytest.skip("no way to cap processes here (root without a writable pids cgroup)")
    program = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result = box.run(python_job(program))
    assert result.status == "timeout"
    time.sleep(0.2)
    assert leftover_processes() == []
    assert_still_works(box)


def test_memory_bomb_fails_with_memory_status(box):
    result = box.run(python_job("chunks = []\nwhile True:\n    chunks.append(bytearray(32 * 1024 * 1024))"))
    assert result.status == "memory"
    assert_still_works(box)


def test_printing_without_end_is_cut_at_the_output_cap(box):
    result = box.run(python_job("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)"))
    assert result.status == "output_limit"
    assert len(result.stdout) <= LIMITS.output_bytes
    assert_still_works(box)


def test_closing_stdout_early_is_a_failure_not_a_crash(box):
    result = box.run(python_job("import os\nos.close(1)\nos.close(2)\nprint('lost')"))
    assert result.status == "error" and result.stdout == ""
    assert_still_works(box)


def test_scratch_is_the_only_writable_place(box, tmp_path):
    if box.isolation != "bwrap":
        pytest.skip("only bubblewrap makes the file system read-only")
    target = tmp_path / "pwned.txt"
    home_target = Path(sys.prefix) / "pwned.txt"
    program = (
        "import pathlib\nopen('mine.txt', 'w').write('ok')\nprint(open('mine.txt').read())\n"
        f"for p in [{str(target)!r}, {str(home_target)!r}]:\n"
        "    try:\n        pathlib.Path(p).write_text('x')\n    except OSError as e:\n        print('blocked', e.errno)\n"
    )
    result = box.run(python_job(program))
    assert not target.exists() and not home_target.exists()
    assert result.stdout.startswith("ok\n")
    assert result.stdout.count("blocked") >= 1  # the venv's path is read-only; /tmp is a private tmpfs


def test_no_network(box):
    if box.isolation == "none":
        pytest.skip("without namespaces the network is open (the sandbox warns)")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(3)
    accepted = []
    threading.Thread(target=lambda: _accept(server, accepted), daemon=True).start()
    port = server.getsockname()[1]
    program = f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\ns.sendall(b'leak')\n"
    result = box.run(python_job(program))
    time.sleep(0.3)
    server.close()
    assert result.status == "error" and accepted == []
    assert "ConnectionRefused" in result.stderr or "unreachable" in result.stderr.lower()


def _accept(server: socket.socket, accepted: list) -> None:
    try:
        accepted.append(server.accept())
    except OSError:
        pass


def test_parent_environment_is_invisible(box, monkeypatch):
    monkeypatch.setenv("SFTLAB_TEST_SECRET", "hunter2-in-env")
    # a neighbour process started with the secret in its environment, readable in /proc without namespaces
    neighbour = subprocess.Popen(["sleep", "30"], env={"SFTLAB_TEST_SECRET": "hunter2-in-proc"})
    try:
        program = (
            "import os, glob\nprint(dict(os.environ))\n"
            "for f in glob.glob('/proc/*/environ'):\n"
            "    try:\n        print(open(f, 'rb').read())\n    except OSError:\n        pass\n"
        )
        result = box.run(python_job(program))
    finally:
        neighbour.kill()
        neighbour.wait()
    assert result.status == "ok"
    assert "hunter2-in-env" not in result.stdout
    if box.isolation != "none":
        assert "hunter2-in-proc" not in result.stdout


def test_many_programs_run_in_parallel_in_order(box):
    jobs = [python_job(f"import time\ntime.sleep(0.4)\nprint({i})") for i in range(4)]
    began = time.perf_counter()
    results = box.run_many(jobs)
    elapsed = time.perf_counter() - began
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(4)]
    assert elapsed < 4 * 0.4  # two workers: about half the sequential time


def test_files_cannot_escape_the_scratch_directory(box):
    with pytest.raises(ValueError, match="escapes"):
        box.run(Job((sys.executable, "-c", "pass"), (("../evil.py", "x"),)))
