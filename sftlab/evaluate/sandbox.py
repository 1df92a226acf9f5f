"""Runs model-written code in a child process that cannot harm the machine or the evaluation.

Every run gets a fresh scratch directory (its only writable place and its working directory), a cleaned
environment (no variable of the parent survives), `python -E -s` (no PYTHON* variables, no user site), and
resource limits: wall time, CPU seconds, address space, size of any file written (which also caps what
it prints: stdout and stderr go to files), and a process count (a pids cgroup where one can be created,
else RLIMIT_NPROC). On timeout everything it started is killed: its process group, its session, and
its pids cgroup or PID namespace.

What guards what depends on the operating system, detected once and logged:
- `bwrap` (bubblewrap): private network, PID, IPC and UTS namespaces; the file system read-only with
  a private /tmp and the scratch directory the only writable place; the parent's processes invisible.
- `unshare`: private network and PID namespaces, but the file system stays writable where the user
  can write.
- `none`: limits, clean environment and process-group kill only; network and file system are open.
  A warning says so.
Not guarded: reading world-readable files (only `bwrap` hides /tmp), and a program forging its own
test verdict, since harness and program share a process; the sandbox protects the host, not the score.
Reads nothing of the project's; writes only temporary directories it deletes afterwards.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

Isolation = Literal["bwrap", "unshare", "none"]
Status = Literal["ok", "error", "timeout", "memory", "output_limit"]

# The base interpreter, not a virtual environment's link to it: programs need only the standard library,
# and a venv under /tmp would vanish behind the sandbox's private /tmp. PYTHON* variables and the user's
# site directory are ignored.
PYTHON = (os.path.join(sys.base_prefix, "bin", f"python{sys.version_info.major}.{sys.version_info.minor}"), "-E", "-s", "-B")
_CGROUP_PIDS = Path("/sys/fs/cgroup/pids")
_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    # numeric libraries start one thread per core unless told otherwise, which eats the process cap
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    memory_mb: int = 1024  # address space of each process
    output_bytes: int = 1 << 20  # stdout, stderr and any file written, each
    processes: int = 32


@dataclass(frozen=True)
class RunResult:
    status: Status
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Job:
    """One program: its files (name -> text) written into the scratch directory, argv, and stdin."""

    argv: tuple[str, ...]
    files: tuple[tuple[str, str], ...] = ()
    stdin: str = ""
    wall_seconds: float | None = None  # this job's wall limit when it needs more than the sandbox default


def python_job(source: str, stdin: str = "", extra_files: dict[str, str] | None = None) -> Job:
    """A job running `source` as `main.py` with the evaluating interpreter in isolated mode."""
    files = {"main.py": source, **(extra_files or {})}
    return Job((*PYTHON, "main.py"), tuple(files.items()), stdin)


@functools.cache
def isolation_works(kind: Isolation) -> bool:
    """Whether `kind` can run a program here, probed by running `true` inside it."""
    if kind == "none":
        return True
    with tempfile.TemporaryDirectory(prefix="sftlab-probe-") as scratch:
        argv = _wrap(kind, ["/bin/true"], scratch)
        if shutil.which(argv[0]) is None:
            return False
        try:
            return subprocess.run(argv, capture_output=True, timeout=10, env=_ENV).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False


@functools.cache
def detect_isolation() -> Isolation:
    """The strongest isolation that works here, logged once."""
    for kind in ("bwrap", "unshare"):
        if isolation_works(kind):
            log.info("code sandbox: %s isolation (private network, PID namespace)", kind)
            return kind  # type: ignore[return-value]
    log.warning(
        "code sandbox: neither bubblewrap nor unshare works here; model-written code runs with resource "
        "limits and a clean environment only, WITHOUT network or file-system isolation "
        "(install bubblewrap: apt-get install bubblewrap)"
    )
    return "none"


def process_cap() -> Literal["cgroup", "rlimit"] | None:
    """How the number of processes of a run is capped here (None: only by the wall-time kill)."""
    if os.access(_CGROUP_PIDS, os.W_OK):
        return "cgroup"
    return None if os.geteuid() == 0 else "rlimit"


def _wrap(kind: Isolation, argv: list[str], scratch: str) -> list[str]:
    if kind == "bwrap":
        env = [a for k, v in _ENV.items() for a in ("--setenv", k, v)]
        return [
            "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--ro-bind", sys.base_prefix, sys.base_prefix, "--bind", scratch, scratch, "--chdir", scratch, "--unshare-all", "--die-with-parent",
            "--new-session", "--clearenv", *env, "--setenv", "HOME", scratch, "--", *argv,
        ]  # fmt: skip
    if kind == "unshare":
        return ["unshare", "--user", "--map-root-user", "--net", "--pid", "--ipc", "--uts", "--fork",
                "--kill-child", "--mount-proc", "--", *argv]  # fmt: skip
    return list(argv)


class Sandbox:
    """Runs jobs one at a time (`run`) or one per core in parallel (`run_many`)."""

    def __init__(self, limits: Limits = Limits(), isolation: Isolation | None = None, workers: int | None = None):
        self.limits = limits
        self.isolation = isolation or detect_isolation()
        self.workers = workers or os.cpu_count() or 1

    def run_many(self, jobs: list[Job]) -> list[RunResult]:
        if len(jobs) <= 1 or self.workers == 1:
            return [self.run(j) for j in jobs]
        with ThreadPoolExecutor(self.workers) as pool:  # each thread only waits on its child process
            return list(pool.map(self.run, jobs))

    def run(self, job: Job) -> RunResult:
        scratch = tempfile.mkdtemp(prefix="sftlab-sbx-")
        io_dir = tempfile.mkdtemp(prefix="sftlab-sbx-io-")
        cgroup = _PidsCgroup.create(self.limits.processes)
        try:
            for name, text in job.files:
                target = Path(scratch, name).resolve()
                if Path(scratch).resolve() not in target.parents:
                    raise ValueError(f"sandbox file {name!r} escapes the scratch directory")
                target.write_text(text, encoding="utf-8")
            return self._execute(job, scratch, io_dir, cgroup)
        finally:
            if cgroup:
                cgroup.destroy()
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.rmtree(io_dir, ignore_errors=True)

    def _execute(self, job: Job, scratch: str, io_dir: str, cgroup: _PidsCgroup | None) -> RunResult:
        limits = self.limits
        if job.wall_seconds:  # a long job (many tests) gets CPU time to match its wall time
            limits = replace(limits, cpu_seconds=max(limits.cpu_seconds, math.ceil(job.wall_seconds)))
        Path(io_dir, "stdin").write_text(job.stdin, encoding="utf-8")
        argv = _wrap(self.isolation, list(job.argv), scratch)
        nproc = None if cgroup else _nproc_limit(limits.processes)
        began = time.perf_counter()
        with open(Path(io_dir, "stdin"), "rb") as stdin, open(Path(io_dir, "out"), "wb") as out, \
                open(Path(io_dir, "err"), "wb") as err:  # fmt: skip
            proc = subprocess.Popen(
                argv, stdin=stdin, stdout=out, stderr=err, cwd=scratch, env={**_ENV, "HOME": scratch},
                start_new_session=True, close_fds=True,
                preexec_fn=functools.partial(_limit_child, limits, nproc, cgroup.procs_fd if cgroup else None),
            )  # fmt: skip
            timed_out = False
            try:
                proc.wait(timeout=job.wall_seconds or limits.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
            _kill_all(proc.pid, cgroup)
            proc.wait()
        seconds = time.perf_counter() - began
        stdout, out_full = _read_capped(Path(io_dir, "out"), limits.output_bytes)
        stderr, err_full = _read_capped(Path(io_dir, "err"), limits.output_bytes)
        status = _classify(proc.returncode, timed_out, out_full or err_full, stderr)
        return RunResult(status, proc.returncode, stdout, stderr, seconds)


def _limit_child(limits: Limits, nproc: int | None, procs_fd: int | None) -> None:
    """Runs in the child between fork and exec: only system calls, no locks."""
    if procs_fd is not None:
        os.write(procs_fd, b"0")  # "0" moves the writing process into the cgroup
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def _nproc_limit(extra: int) -> int | None:
    """RLIMIT_NPROC counts every thread of the user, so the cap is today's count plus `extra`.

    Root ignores RLIMIT_NPROC; without a pids cgroup a fork bomb is then stopped by the wall-time kill alone.
    """
    if os.geteuid() == 0:
        _warn_once("code sandbox: running as root without a writable pids cgroup; no process-count limit")
        return None
    uid, threads = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    threads += int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[17])
            except (OSError, IndexError, ValueError):
                continue  # the process ended while we looked
    return threads + extra


@functools.cache
def _warn_once(message: str) -> None:
    log.warning(message)


class _PidsCgroup:
    """A pids cgroup (v1 controller) capping the number of processes of one run, where we may create one."""

    def __init__(self, path: Path, procs_fd: int) -> None:
        self.path, self.procs_fd = path, procs_fd

    @classmethod
    def create(cls, max_pids: int) -> _PidsCgroup | None:
        if not os.access(_CGROUP_PIDS, os.W_OK):
            return None
        path = Path(tempfile.mkdtemp(prefix="sftlab-sbx-", dir=_CGROUP_PIDS))  # mkdir in cgroupfs makes a group
        try:
            Path(path, "pids.max").write_text(str(max_pids))
            return cls(path, os.open(Path(path, "cgroup.procs"), os.O_WRONLY))
        except OSError:
            os.rmdir(path)
            return None

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in Path(self.path, "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def destroy(self) -> None:
        os.close(self.procs_fd)
        for _ in range(100):
            for pid in self.pids():
                _signal(pid, signal.SIGKILL)
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.01)  # killed processes leave the group once reaped
        log.warning("code sandbox: could not remove %s", self.path)


def _kill_all(pid: int, cgroup: _PidsCgroup | None) -> None:
    """Kill the child's group, everything left in its session, and its cgroup: nothing outlives a run."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for other in _session_members(pid):
        _signal(other, signal.SIGKILL)
    if cgroup:
        for other in cgroup.pids():
            _signal(other, signal.SIGKILL)


def _session_members(sid: int) -> list[int]:
    members = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != sid:
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid:
                members.append(int(entry.name))
    return members


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _read_capped(path: Path, cap: int) -> tuple[str, bool]:
    """The file's first `cap` bytes as text, and whether it reached the cap (output was cut)."""
    with open(path, "rb") as f:
        data = f.read(cap)
    return data.decode("utf-8", errors="replace"), len(data) >= cap


def _classify(returncode: int, timed_out: bool, output_full: bool, stderr: str) -> Status:
    signal_number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if timed_out or signal_number == signal.SIGXCPU:
        return "timeout"
    if output_full or signal_number == signal.SIGXFSZ:
        return "output_limit"
    if returncode != 0 and "MemoryError" in stderr[-2000:]:
        return "memory"
    return "ok" if returncode == 0 else "error"
