"""The dashboard's matplotlib figures, kept between refreshes, updated in place, returned as PNG.

Building artists and laying out text are the dear parts of a matplotlib figure; a refresh here
only changes colours and line data (the charts' axes are a cached background) and encodes the
PNG with light compression (``benchmarks/bench_dashboard.py`` measures it).  Figures use
``matplotlib.figure.Figure`` with an Agg canvas directly (no pyplot), so each page owns its
figures and no global state is shared between pages or threads.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .dashboard_metrics import ROLLING_TICKS, latest_goal_known, pane_series
from .messages import Channel
from .organisation import Role

__all__ = ["NetworkView", "ChartsView", "COLOURS"]

COLOURS = {
    "knows": "#1f77b4", "uses_stream": "#e6550d", "other": "#c9d0d8", "external": "#b8b8b8",
    "gatekeeper_on": "#d62728", "gatekeeper_off": "#ffffff",
    "email": "#7b4173", "stream": "#e6550d", "market": "#2ca02c", "goal": "#1f77b4", "process": "#9467bd",
}
COLOUR_BY = {"goal": "knows the latest goal", "stream": "uses the stream"}


def _rgba(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)] + [1.0])


class NetworkView:
    """The organisation of one pane: people at their cached positions, gatekeepers as diamonds (red
    while they screen, hollow when switched off), partners (triangles) and customers (squares) around
    the edge, lines for the messages read in the last few ticks (purple mail, orange stream; at most
    :attr:`MAX_LINES` a channel)."""

    MAX_LINES = 250  # message lines drawn per channel (an even sample of those read recently)

    def __init__(self, layout: np.ndarray, role: np.ndarray, level: np.ndarray, size_inches: float = 5.0):
        self.fig = Figure(figsize=(size_inches, size_inches), dpi=72)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.ax = self.fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_aspect("equal")
        n = len(role)
        scale = 6.0 if n < 60 else (2.5 if n < 400 else 1.0)
        self.layout = layout
        self.groups = {}
        shapes = (("staff", "o", np.isin(role, (Role.EMPLOYEE, Role.MANAGER, Role.EXECUTIVE))),
                  ("partner", "^", role == Role.PARTNER), ("customer", "s", role == Role.CUSTOMER),
                  ("gatekeeper", "D", role == Role.GATEKEEPER))
        for name, marker, mask in shapes:
            idx = np.flatnonzero(mask)
            if len(idx) == 0:
                continue
            size = np.where(role[idx] == Role.EXECUTIVE, 40, np.where(role[idx] == Role.MANAGER, 16, 8)) * scale
            if name == "gatekeeper":
                size = np.full(len(idx), 22 * scale)
            art = ax.scatter(layout[idx, 0], layout[idx, 1], s=size, marker=marker, linewidths=0.8 if name == "gatekeeper" else 0, zorder=3 if name == "gatekeeper" else 2)
            self.groups[name] = (idx, art)
        width = 0.6 if n > 200 else 1.5
        # one path per channel, segments separated by NaN: far cheaper to draw than a LineCollection
        self.lines = {c: ax.plot([], [], lw=width, alpha=0.5, zorder=1, color=COLOURS["stream" if c == Channel.STREAM else "email"])[0] for c in Channel}
        pad = 0.08
        ax.set_xlim(layout[:, 0].min() - pad, layout[:, 0].max() + pad)
        ax.set_ylim(layout[:, 1].min() - pad, layout[:, 1].max() + pad)

    def update(self, model, recent: np.ndarray, colour_by: str = "goal") -> bytes:
        """The network as PNG bytes: people coloured by ``colour_by`` ("goal" or "stream"), gatekeepers
        by whether they screen, ``recent`` messages ((from, reader, channel) rows) as lines."""
        n = model.org.n
        face = np.tile(_rgba(COLOURS["other"]), (n, 1))
        if colour_by == "stream":
            face[model.stream_users()] = _rgba(COLOURS["uses_stream"])
        else:
            known = latest_goal_known(model)
            if known is not None:
                face[known] = _rgba(COLOURS["knows"])
        external = model.org.is_external()
        face[external & (face == _rgba(COLOURS["other"])).all(axis=1)] = _rgba(COLOURS["external"])
        screening = _screening(model)
        face[screening] = _rgba(COLOURS["gatekeeper_on"])
        face[(model.org.role == Role.GATEKEEPER) & ~screening] = _rgba(COLOURS["gatekeeper_off"])
        for name, (idx, art) in self.groups.items():
            art.set_facecolor(face[idx])
            if name == "gatekeeper":
                art.set_edgecolor(np.where(screening[idx, None], _rgba(COLOURS["gatekeeper_on"]), _rgba("#777777")))
        xy = self.layout
        for c, line in self.lines.items():
            mine = recent[recent[:, 2] == c]
            mine = mine[:: max(1, len(mine) // self.MAX_LINES)]  # a post to the whole company would hide everything else
            path = np.full((len(mine), 3, 2), np.nan)
            path[:, 0], path[:, 1] = xy[mine[:, 0]], xy[mine[:, 1]]
            line.set_data(path[:, :, 0].ravel(), path[:, :, 1].ravel())
        self.canvas.draw()
        return _encode(self.canvas)


def _screening(model) -> np.ndarray:
    """Gatekeepers who screen new messages from the next tick on (bool per person)."""
    org, router, now = model.org, model.router, model.now
    on = np.zeros(org.n, bool)
    if router.bridge_active("upward", now):
        on[org.assistant[org.assistant >= 0]] = True
    if router.bridge_active("department", now):
        on[org.department_gate[org.department_gate >= 0]] = True
    for kind, desk in (("partner", org.partner_desk), ("customer", org.customer_desk)):
        if desk >= 0 and router.bridge_active(kind, now):
            on[desk] = True
    return on


PANELS = (
    ("latency", f"Decision latency, h (decisions taken in the last {ROLLING_TICKS} h)"),
    ("waiting", "Decisions waiting (arisen, not taken)"),
    ("coverage", "Knowledge known by employees, % (by kind)"),
    ("gatekeeper_queue", "Messages waiting for gatekeepers"),
    ("reading", "Reading, minutes per person-hour"),
    ("adoption", "Stream users, % of eligible"),
)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above ``value`` (axis limits that change rarely)."""
    if not np.isfinite(value) or value <= 1.0:
        return 1.0
    exp = 10.0 ** np.floor(np.log10(value))
    return float(next(m * exp for m in (1, 2, 5, 10) if value <= m * exp * (1 + 1e-9)))


class ChartsView:
    """Six charts on one time axis (working hours): the after pane solid, the before pane dashed.
    Live changes are numbered vertical lines on every chart; the scenarios' own timeline entries
    are dotted grey lines.

    Drawing is blitted: axes, titles, ticks and markers form a background drawn only when an axis
    limit (which moves in 1-2-5 steps) or a marker changes; a refresh restores it and draws the
    lines alone, then encodes the PNG with light compression."""

    MAX_POINTS = 400  # longer series are thinned (every k-th tick) before drawing

    def __init__(self, width_inches: float = 13.0, height_inches: float = 5.2):
        self.fig = Figure(figsize=(width_inches, height_inches), dpi=72)
        self.canvas = FigureCanvasAgg(self.fig)
        axes = self.fig.subplots(2, 3)
        self.fig.subplots_adjust(left=0.04, right=0.99, top=0.93, bottom=0.08, hspace=0.38, wspace=0.16)
        self.axes = dict(zip((p for p, _ in PANELS), axes.flat))
        self.lines: dict[tuple[str, str], object] = {}
        for (panel, title), ax in zip(PANELS, axes.flat):
            ax.set_title(title, fontsize=10, loc="left")
            ax.tick_params(labelsize=8)
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.grid(alpha=0.3, axis="y")
            keys = ("market", "goal", "process") if panel == "coverage" else (panel,)
            for key in keys:
                colour = COLOURS.get(key, "#1f77b4")
                for pane, style in (("after", "-"), ("before", "--")):
                    self.lines[(pane, key)] = ax.plot([], [], style, color=colour, lw=1.6 if pane == "after" else 1.2, animated=True,
                                                      alpha=1.0 if pane == "after" else 0.7, label=f"{key} ({pane})" if panel == "coverage" else None)[0]
            if panel in ("coverage", "adoption"):
                ax.set_ylim(0, 100)
        self.axes["coverage"].legend(fontsize=7, ncol=3, loc="upper left", frameon=False)
        self.markers: list = []
        self.background = None
        self.background_key = None
        self.tops: dict[str, float] = {}
        self.models = None

    def update(self, before, after, interventions, scheduled: list[tuple[int, str]]) -> bytes:
        """The charts as PNG bytes, from both models; ``interventions`` are the live changes
        (numbered as in the page's list), ``scheduled`` (tick, label) the after scenario's own timeline."""
        if self.models != (id(before), id(after)):  # a new run: axes start small again
            self.models, self.tops = (id(before), id(after)), {}
        hours = after.config.tick_hours
        for pane, model in (("after", after), ("before", before)):
            s = pane_series(model)
            step = max(1, len(s["hours"]) // self.MAX_POINTS)
            x = s["hours"][::step]
            for (p, key), line in self.lines.items():
                if p != pane:
                    continue
                y = s[f"coverage_{key}"] if key in ("market", "goal", "process") else s[key]
                y = (100 * y if key in ("market", "goal", "process", "adoption") else y)[::step]
                line.set_data(x, y)
                panel = "coverage" if key in ("market", "goal", "process") else key
                if panel not in ("coverage", "adoption") and len(y) and np.isfinite(y).any():
                    self.tops[panel] = max(self.tops.get(panel, 1.0), _nice_ceiling(1.1 * float(np.nanmax(y))))
        x_end = _nice_ceiling(max(after.now, before.now, 80) * 1.1 * hours)  # from 100 h: few background redraws
        key = (x_end, tuple(sorted(self.tops.items())), tuple((i.tick, i.label) for i in interventions), tuple(scheduled))
        if key != self.background_key:
            self._draw_background(x_end, interventions, scheduled, hours)
            self.background_key = key
        self.canvas.restore_region(self.background)
        for (_, key_), line in self.lines.items():
            line.axes.draw_artist(line)
        return _encode(self.canvas)

    def _draw_background(self, x_end: float, interventions, scheduled, hours: float) -> None:
        for panel, ax in self.axes.items():
            ax.set_xlim(0, x_end)
            if panel in self.tops:
                ax.set_ylim(0, self.tops[panel])
        for art in self.markers:
            art.remove()
        self.markers = []
        for ax in self.axes.values():
            trans = ax.get_xaxis_transform()
            for tick, _label in scheduled:
                self.markers.append(ax.axvline(tick * hours, color="#888888", lw=1.0, ls=":"))
            for first, last, x in _marker_groups([i.tick * hours for i in interventions], 0.015 * x_end):
                self.markers.append(ax.axvline(x, color="#333333", lw=0.9, alpha=0.8))
                label = f" {first}" if first == last else f" {first}-{last}"
                self.markers.append(ax.text(x, 0.98, label, transform=trans, fontsize=8, va="top", ha="left", color="#333333"))
        self.canvas.draw()  # everything but the (animated) lines
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)


def _marker_groups(xs: list[float], gap: float) -> list[tuple[int, int, float]]:
    """Changes numbered 1.. at positions ``xs``, grouped when closer than ``gap``: (first, last, x)
    per group, so labels of changes made moments apart do not overprint ("2-4")."""
    groups: list[list] = []
    for k, x in enumerate(xs, start=1):
        if groups and x - groups[-1][2] < gap:
            groups[-1][1] = k
        else:
            groups.append([k, k, x])
    return [tuple(g) for g in groups]


def _encode(canvas) -> bytes:
    """The canvas as PNG, compressed lightly (encoding at the default level costs more than drawing)."""
    width, height = canvas.get_width_height()
    buf = io.BytesIO()
    Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(buf, format="png", compress_level=1)
    return buf.getvalue()
