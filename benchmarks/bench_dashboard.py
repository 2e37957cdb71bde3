"""How fast the trainers' dashboard runs: ticks per second and view refreshes per second.

The target (issue 10): a 1,000-person organisation advances >= 10 ticks per second with the views
refreshing at least twice a second.  Four measurements on the change programme storyline
(email_gatekept on the left, change_programme on the right, 1,060 people each):

1. the two models alone, stepped together (no drawing);
2. one refresh alone: headline, both networks and the charts, as PNG (what the page redraws);
3. the real page, rendered with ``solara.render`` (no browser), Play pressed at a speed, for some
   seconds: the ticks both panes advanced per second and the refreshes per second;
4. the same at the highest speed the slider allows.

Prints figures; checks nothing (no timed tests).  Other processes on the machine slow every figure:
the load average is printed with them.

    .venv/bin/python benchmarks/bench_dashboard.py               # 20 s of play at speed 20 and at 100
    .venv/bin/python benchmarks/bench_dashboard.py --seconds 5   # quicker
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.dashboard_figures import ChartsView, NetworkView  # noqa: E402
from sim.dashboard_metrics import headline_sentences  # noqa: E402
from sim.dashboard_session import DashboardSession  # noqa: E402


def _revision() -> str:
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def models_alone(ticks: int) -> float:
    s = DashboardSession("change_programme")
    s.step(50)  # warm-up
    start = time.perf_counter()
    s.step(ticks)
    return ticks / (time.perf_counter() - start)


def one_refresh(repeats: int) -> dict[str, float]:
    s = DashboardSession("change_programme")
    s.step(300)
    s.apply("gatekeepers.upward", False)
    s.step(100)
    nets = [NetworkView(p.layout, p.model.org.role, p.model.org.level) for p in s.panes]
    charts = ChartsView()
    parts = {"headline": lambda: headline_sentences(s.before.model, s.after.model),
             "networks (both)": lambda: [v.update(p.model, p.recent_messages()) for v, p in zip(nets, s.panes)],
             "charts": lambda: charts.update(s.before.model, s.after.model, s.live_changes(), s.scheduled())}
    out = {}
    for name, f in parts.items():
        f()
        start = time.perf_counter()
        for _ in range(repeats):
            f()
        out[name] = (time.perf_counter() - start) / repeats * 1000
    return out


def page_playing(speed: int, seconds: float) -> tuple[float, float, int]:
    """Play the real page; returns (ticks per second, refreshes per second, ticks run)."""
    import ipyvuetify as v
    import solara

    from sim.app import Dashboard

    session = DashboardSession("change_programme")
    refreshes = [0]
    step = session.step

    def counting_step(ticks: int = 1, **kwargs) -> int:
        refreshes[0] += 1
        return step(ticks, **kwargs)

    session.step = counting_step
    box, rc = solara.render(Dashboard(session), handle_error=False)
    slider = rc.find(v.Slider).widgets[0]
    slider.v_model = speed
    rc.find(v.Btn, children=["Play"]).widget.click()
    time.sleep(1.0)  # first refreshes draw the chart backgrounds
    t0, n0, r0 = time.perf_counter(), session.now, refreshes[0]
    time.sleep(seconds)
    t1, n1, r1 = time.perf_counter(), session.now, refreshes[0]
    rc.find(v.Btn, children=["Pause"]).widget.click()
    rc.close()
    return (n1 - n0) / (t1 - t0), (r1 - r0) / (t1 - t0), n1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="seconds of play per speed (default 20)")
    ap.add_argument("--speeds", default="20,100", help="speeds to play at, working hours per second (default 20,100)")
    args = ap.parse_args()
    print(f"orgsim {_revision()}, Python {platform.python_version()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"1. both models alone (1,060 people each): {models_alone(200):.0f} ticks/s")
    print("2. one refresh, ms: " + ", ".join(f"{k} {v:.0f}" for k, v in one_refresh(5).items()))
    for speed in (int(x) for x in args.speeds.split(",")):
        tps, rps, now = page_playing(speed, args.seconds)
        print(f"3. page playing at speed {speed}: {tps:.1f} ticks/s, {rps:.1f} refreshes/s (hour {now} reached); "
              f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
