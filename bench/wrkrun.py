"""Running wrk and reading its figures (the JSON line printed by bench/wrk/report.lua)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "wrk"
MARK = "WRK-JSON "


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: requests, seconds, errors by kind, latencies in milliseconds."""

    requests: int
    seconds: float
    errors: dict[str, int]
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    bytes: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    @classmethod
    def parse(cls, output: str) -> WrkResult:
        line = next((x for x in output.splitlines() if x.startswith(MARK)), None)
        if line is None:
            raise RuntimeError(f"wrk printed no figures:\n{output}")
        raw = json.loads(line.removeprefix(MARK))
        errors = {k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]}
        ms = {k: raw[k] / 1000 for k in ("p50", "p90", "p95", "p99", "max")}
        return cls(raw["requests"], raw["duration_us"] / 1e6, errors, bytes=raw["bytes"], **ms)


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it)")
    return path


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int,
    headers: dict[str, str] | None = None,
    script: str | None = None,
    script_args: tuple[str, ...] = (),
) -> WrkResult:
    """``wrk -c -t -d --latency --timeout 30s`` with report.lua appended to *script* (the
    name of a file in bench/wrk/, or None for plain GETs of *url*)."""
    lua = (LUA / "report.lua").read_text()
    if script is not None:
        lua = (LUA / script).read_text() + "\n" + lua
    threads = min(threads, connections)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as file:
        file.write(lua)
        file.flush()
        command = [
            wrk_path(),
            f"-c{connections}",
            f"-t{threads}",
            f"-d{seconds:g}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            file.name,
        ]
        for name, value in (headers or {}).items():
            command += ["-H", f"{name}: {value}"]
        command.append(url)
        if script_args:
            command += ["--", *script_args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}\n{done.stdout}")
    return WrkResult.parse(done.stdout)
