"""The table bench/run.py prints: each row against its floor and its target."""

from __future__ import annotations

from typing import Protocol

from wrkrun import WrkResult

PAGE_RATE, PAGE_P99 = 0.5, 3.0  # a page: at least half the floor's throughput, p99 within 3x
CONDITIONAL_RATE = 0.8  # a repeated If-None-Match: at least 0.8x the fixed-bytes floor
COLD_P99_MS = 300  # a cold 1,000-session feed, one client
SEARCH_P95_MS = 50  # search, one client


class Measured(Protocol):
    name: str
    target: str
    connections: int | None
    result: WrkResult | None
    floor_result: WrkResult | None


def verdict(row: Measured) -> tuple[str, bool | None]:
    """The target's wording and whether it was met (None: reported only)."""
    r, f = row.result, row.floor_result
    assert r is not None
    assert f is not None
    rate = r.rate / f.rate if f.rate else 0.0
    p99 = r.p99 / f.p99 if f.p99 else float("inf")
    if row.target == "page":
        return f"≥ {PAGE_RATE}× rate, p99 ≤ {PAGE_P99:g}×", rate >= PAGE_RATE and p99 <= PAGE_P99
    if row.target == "conditional":
        return f"≥ {CONDITIONAL_RATE}× rate", rate >= CONDITIONAL_RATE
    if row.target == "cold":
        return f"p99 < {COLD_P99_MS} ms", r.p99 < COLD_P99_MS
    if row.target == "search":
        return f"p95 < {SEARCH_P95_MS} ms (p95 {r.p95:.1f})", r.p95 < SEARCH_P95_MS
    return "— (reported)", None


def print_report(
    rows: list[Measured],
    sizes: dict[str, int],
    memory: dict[int, float],
    floor_memory: dict[int, float],
    registered: int,
    rss_limit_mb: float,
) -> list[str]:
    """Print the Markdown table and the memory line; return the names of missed targets."""
    print(
        "| row | conc. | req/s | p50 ms | p99 ms | floor req/s | floor p99 ms | "
        "throughput ratio | p99 ratio | target | pass/fail |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    missed = []
    for row in rows:
        r, f = row.result, row.floor_result
        if r is None or f is None:
            continue
        wording, ok = verdict(row)
        if ok is False:
            missed.append(row.name)
        failed = f" ({r.failed} failed: {r.errors})" if r.failed else ""
        print(
            f"| {row.name}{failed} | {row.connections or 16} | {r.rate:.1f} | {r.p50:.1f} | "
            f"{r.p99:.1f} | {f.rate:.1f} | {f.p99:.1f} | {r.rate / f.rate:.2f} | "
            f"{r.p99 / f.p99:.2f} | {wording} | {'—' if ok is None else 'pass' if ok else 'FAIL'} |"
        )
    print(
        "\nResponse sizes (the floor renders the same): "
        + ", ".join(f"{k} {v / 1024:.1f} KiB" for k, v in sizes.items())
    )
    print(f"Registrations written by the POST row: {registered}")
    worst = max(memory.values(), default=0.0)
    ok = bool(memory) and worst < rss_limit_mb
    print(
        f"Worker memory (VmRSS after the run): app {_mb(memory)}; floor {_mb(floor_memory)}; "
        f"target every app worker < {rss_limit_mb:g} MB: {'pass' if ok else 'FAIL'}"
    )
    if not ok:
        missed.append("worker memory")
    return missed


def _mb(memory: dict[int, float]) -> str:
    return ", ".join(f"{mb:.0f} MB" for mb in memory.values()) or "none found"
