"""CPU time per process over a benchmark's measured window, read from /proc (Linux only)."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from sqlalchemy import Engine, text

from backend.db import transaction


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(engine: Engine, database: str) -> dict[str, list[int]]:
    """The database's Postgres backends, and the Redis and RabbitMQ servers (shared: approximate)."""
    with transaction(engine) as session:
        backends = session.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :db"), {"db": database}
        )
        pids: dict[str, list[int]] = {"postgres": [int(pid) for (pid,) in backends]}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with suppress(OSError):
                comm = (proc / "comm").read_text().strip()
                if comm in ("redis-server", "beam.smp"):
                    pids.setdefault(comm, []).append(int(proc.name))
    return pids


def cpu_by_role(engine: Engine, database: str, roles: dict[str, int]) -> dict[str, float]:
    by_pid = {role: cpu_seconds(pid) for role, pid in roles.items()}
    for role, pids in server_pids(engine, database).items():
        by_pid |= {f"{role}:{pid}": cpu_seconds(pid) for pid in pids}
    return by_pid


def cpu_report(before: dict[str, float], after: dict[str, float], sagas: int) -> str:
    """ms of CPU per saga per role over the measured window (Postgres backends summed)."""
    spent: dict[str, float] = {}
    for key, seconds in after.items():
        role = key.split(":")[0]
        spent[role] = spent.get(role, 0.0) + seconds - before.get(key, 0.0)
    ranked = sorted(spent.items(), key=lambda item: -item[1])
    parts = [f"{role} {1000 * s / sagas:.1f}" for role, s in ranked]
    return f"{', '.join(parts)}; total {1000 * sum(spent.values()) / sagas:.1f}"


def process_tree(pid: int) -> list[int]:
    """`pid` and its live descendants (a server's worker processes), from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with suppress(OSError, IndexError, ValueError):
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(proc.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of `pid` and each live descendant, by pid (diff two with cpu_spent)."""
    return {member: cpu_seconds(member) for member in process_tree(pid)}


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two snapshots; a process born in between counts from zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
