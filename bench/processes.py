"""Where a request's CPU goes across processes: the app's workers, the database server and the load
generator, read from ``/proc/PID/stat`` (user + system time) around a round of requests.

On one host every process shares the same cores, so a page's throughput against a plain app is
set by the CPU all of them spend on it; this says which process spends it. Linux only (``/proc``);
elsewhere the groups come back empty and the figures are left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    """The fields after the command name (which may hold spaces and parentheses)."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU seconds the processes used so far (those gone count nothing)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14, 15)
    return total / _TICKS


def _all_pids() -> list[int]:
    if not _PROC.is_dir():
        return []
    return [int(entry.name) for entry in _PROC.iterdir() if entry.name.isdigit()]


def tree(root: int) -> list[int]:
    """``root`` and every process below it (a gunicorn master and its workers)."""
    parents: dict[int, list[int]] = {}
    for pid in _all_pids():
        fields = _stat(pid)
        if fields is not None:
            parents.setdefault(int(fields[1]), []).append(pid)  # ppid (stat field 4)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def named(command: str) -> list[int]:
    """Processes whose command name is ``command`` (``postgres``: the server and its backends)."""
    pids = []
    for pid in _all_pids():
        try:
            if (_PROC / str(pid) / "comm").read_text().strip() == command:
                pids.append(pid)
        except OSError:
            continue
    return pids


def metered(rate: Callable[[], float], seconds: float, groups: dict[str, list[int]]):
    """Run ``rate()`` (requests a second over ``seconds``); return (rate, {group: CPU µs a
    request}). Process lists are read before the round: a process started during it is missed."""
    before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    per_second = rate()
    requests = per_second * seconds
    used = {
        name: (cpu_seconds(pids) - before[name]) / requests * 1e6 if requests else 0.0
        for name, pids in groups.items()
    }
    return per_second, used
