"""Figures for comparison reports, readable on a slide: titles, units, legends.

Drawn with matplotlib's object API on an Agg canvas (no pyplot, so no global backend switch).
Bands are 95 % intervals of the mean over replications (t quantile), tick by tick.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import stats

from .experiments import Experiment

__all__ = ["comparison_figures", "network_figure", "intervention_marks", "mark_interventions", "save_figure", "scenario_interventions"]


def _stack(frames: list[pd.DataFrame], column: str) -> np.ndarray:
    length = min(len(f) for f in frames)
    return np.vstack([f[column].to_numpy(float)[:length] for f in frames])


def _band(ax, x, runs: np.ndarray, label: str, color) -> None:
    with warnings.catch_warnings():  # ticks before the first item have no coverage yet (all NaN)
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(runs, axis=0)
        sd = np.nanstd(runs, axis=0, ddof=1) if len(runs) > 1 else None
    ax.plot(x, mean, label=label, color=color, lw=1.6)
    if sd is not None:
        half = stats.t.ppf(0.975, len(runs) - 1) * sd / np.sqrt(len(runs))
        ax.fill_between(x, mean - half, mean + half, color=color, alpha=0.25, lw=0)


def save_figure(fig: Figure, path: Path, dpi: int = 120) -> Path:
    """Draw ``fig`` on an Agg canvas (no pyplot, no global backend) and write it to ``path``."""
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=dpi)
    return Path(path)


def _save(fig: Figure, path: Path) -> str:
    return str(save_figure(fig, path))


def scenario_interventions(exp: Experiment, name: str) -> tuple[list, dict | None]:
    """The interventions of scenario ``name`` as its runs used them, and that scenario's data
    (None when the experiment has no run of it)."""
    from .interventions import Intervention

    spec = next((s for s in exp.specs if s.name == name), None)
    if spec is None:
        return [], None
    return [Intervention.model_validate(e, strict=False) for e in spec.scenario.get("interventions") or []], spec.scenario


def intervention_marks(exp: Experiment, order: list[str]) -> dict[str, list[tuple[int, str]]]:
    """Per scenario, its interventions as (tick, words), from the scenarios the runs used."""
    from .interventions import describe

    marks = {}
    for name in order:
        ivs, _ = scenario_interventions(exp, name)
        if ivs:
            marks[name] = [(iv.tick, describe(iv)) for iv in ivs]
    return marks


def mark_interventions(ax, marks: dict[str, list[tuple[int, str]]], colors: dict[str, str]) -> None:
    """Dashed vertical lines at each scenario's interventions, labelled at the top of the axes."""
    for name, entries in marks.items():
        for tick, words in entries:
            ax.axvline(tick, color=colors.get(name, "grey"), ls="--", lw=0.9, alpha=0.8)
            ax.annotate(words, (tick, 1.0), xycoords=("data", "axes fraction"), rotation=90, fontsize=6,
                        va="top", ha="right", color=colors.get(name, "grey"))


def comparison_figures(exp: Experiment, order: list[str], folder: Path) -> list[str]:
    """Diffusion curves, decision-latency ECDFs, backlog and adoption over time, with each
    scenario's interventions marked on the time axes; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    colors = {name: f"C{i}" for i, name in enumerate(order)}
    marks = intervention_marks(exp, order)
    series = {name: exp.tables(name, "timeseries") for name in order}
    series = {k: v for k, v in series.items() if v}
    paths = []
    if not series:
        return paths

    fig = Figure(figsize=(12, 3.8), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    for ax, kind in zip(axes, ("market", "goal", "process")):
        for name, frames in series.items():
            runs = _stack(frames, f"informed_{kind}_employees")
            _band(ax, np.arange(runs.shape[1]), runs, name, colors[name])
        ax.set_title(f"{kind} knowledge")
        ax.set_xlabel("tick (working hour)")
        mark_interventions(ax, marks, colors)
    axes[0].set_ylabel("mean share of employees informed")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle("Knowledge diffusion (mean over items born so far, 95 % band over replications)")
    paths.append(_save(fig, folder / "diffusion.png"))

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    for name in series:
        d = pd.concat(exp.tables(name, "decisions"))
        lat = np.sort(d["latency_ticks"].dropna().to_numpy(float))
        if len(lat):
            ax.step(lat, np.arange(1, len(lat) + 1) / len(d), where="post", label=f"{name} ({100 * d['decided_tick'].isna().mean():.0f} % open)", color=colors[name])
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xticks([0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
    ax.set_xticklabels(["0", "1", "2", "5", "10", "20", "50", "100", "200", "500", "1000"])
    ax.set_xlabel("latency from trigger to decision (working hours)")
    ax.set_ylabel("share of decisions taken")
    ax.set_ylim(0, 1)
    ax.set_title("Decision latency (ECDF, all replications)")
    ax.legend(fontsize=8)
    paths.append(_save(fig, folder / "decision_latency.png"))

    fig = Figure(figsize=(11, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, col, title in zip(axes, ("gatekeeper_backlog", "in_flight"), ("messages waiting at gatekeepers", "tracked messages not yet read")):
        for name, frames in series.items():
            runs = _stack(frames, col)
            _band(ax, np.arange(runs.shape[1]), runs, name, colors[name])
        ax.set_title(title)
        ax.set_xlabel("tick (working hour)")
        ax.set_ylabel("messages")
        mark_interventions(ax, marks, colors)
    axes[0].legend(fontsize=8)
    fig.suptitle("Load: backlog over time")
    paths.append(_save(fig, folder / "backlog.png"))

    with_stream = {k: v for k, v in series.items() if max(f["adoption_share"].max() for f in v) > 0}
    if with_stream:
        fig = Figure(figsize=(7, 4), layout="constrained")
        ax = fig.subplots()
        for name, frames in with_stream.items():
            runs = _stack(frames, "adoption_share")
            _band(ax, np.arange(runs.shape[1]), runs, name, colors[name])
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("tick (working hour)")
        ax.set_ylabel("share of eligible people on the stream")
        mark_interventions(ax, marks, colors)
        ax.set_title("Stream adoption")
        ax.legend(fontsize=8)
        paths.append(_save(fig, folder / "adoption.png"))
    return paths


def network_figure(matrices: dict[str, pd.DataFrame], folder: Path) -> str:
    """One heat map per scenario: of what each group read (columns), the share written by each
    group (rows).  A strong diagonal means groups talk among themselves."""
    folder.mkdir(parents=True, exist_ok=True)
    k = len(matrices)
    size = max(len(m) for m in matrices.values())
    side = min(4.0 + 0.12 * size, 9.0)
    fig = Figure(figsize=(side * k + 1, side), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, k))
    image = None
    for ax, (name, m) in zip(axes, matrices.items()):
        values = m.to_numpy(float)
        read = values.sum(axis=0, keepdims=True)
        share = np.divide(values, read, out=np.zeros_like(values), where=read > 0)
        image = ax.imshow(share, cmap="viridis", vmin=0, vmax=1)
        ax.set_title(name)
        ticks = np.arange(len(m))
        labels = [str(x)[:18] for x in m.index]
        if len(m) <= 25:
            ax.set_xticks(ticks, labels, rotation=90, fontsize=7)
            ax.set_yticks(ticks, labels, fontsize=7)
        ax.set_xlabel("reader's group")
        ax.set_ylabel("writer's group")
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="share of the reader group's reads")
    fig.suptitle("Who reads whom: tracked messages between groups (all replications)")
    return _save(fig, folder / "network.png")
