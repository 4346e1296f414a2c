"""Both cores on any system (SPEC §9, issue 28.4): the workers that read the inputs and write the
workbooks start by spawn too (Windows has no fork) — module-level work, a small picklable
state, small items — and a month settled with spawned workers is the month settled with forked
ones, figure for figure."""

from __future__ import annotations

import json
import multiprocessing as mp
import shutil

from conftest import SAMPLES

from settle import api


def _settle(ws, monkeypatch, method: str) -> tuple[dict, set, list]:
    """Settle the sample month with workers started by `method` (reading on two workers too);
    settlement.json without its time stamp, the files written, the start methods asked for."""
    from settle.load import prefetch
    asked = []
    real = mp.get_context

    def get_context(m=None):
        asked.append(m)
        return real(m)
    monkeypatch.setattr(mp, "get_context", get_context)
    monkeypatch.setattr(prefetch, "PARALLEL_BYTES", 0)      # the sample month's files are small
    monkeypatch.setenv("SETTLE_START_METHOD", method)
    monkeypatch.setenv("SETTLE_WORKERS", "2")
    shutil.rmtree(ws / "output", ignore_errors=True)
    outcome = api.settle_month(ws, "2024-05")
    assert outcome.status == "ok"
    folder = ws / "output" / "2024-05"
    data = json.loads((folder / "settlement.json").read_text(encoding="utf-8"))
    data.pop("generated_at")
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*")}
    monkeypatch.undo()
    return data, files, asked


def test_spawned_workers_settle_the_sample_month_to_the_same_figures_as_forked_ones(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES, ws, ignore=shutil.ignore_patterns("output"))
    forked, fork_files, fork_asked = _settle(ws, monkeypatch, "fork")
    spawned, spawn_files, spawn_asked = _settle(ws, monkeypatch, "spawn")
    assert set(fork_asked) == {"fork"} and set(spawn_asked) == {"spawn"}
    assert len(spawn_asked) == 2                                 # the readers' pool and the writers
    assert spawned == forked
    assert spawn_files == fork_files and "返款单.xlsx" in spawn_files
    assert len([f for f in spawn_files if f.startswith("工资条/")]) == len(forked["people"])
    assert spawned["totals"]["payslips"] == "102376.95"          # the sample month's Σ 应发合计 (with its decided appeal)
