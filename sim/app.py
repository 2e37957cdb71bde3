"""The trainers' dashboard: two organisations side by side, same seed, stepping together.

Start it with ``orgsim dashboard [BEFORE.toml [AFTER.toml]]`` (or ``solara run sim/app.py``) and open
the address it prints.  The left pane ("before") runs its scenario untouched; the right pane
("after") is where the room changes things live (:mod:`sim.controls`): gatekeepers per bridge,
the stream's launch, a training push, imitation, the "no social at work" policy, who owns
decisions, stream attention.  Every change is numbered on every chart's time axis and can be saved
as a scenario file.  Storylines (:mod:`sim.storylines`) set up a workshop: hook, build-up, sandbox.

Playing steps both models in a background thread, ``speed`` working hours (ticks) per second, and
redraws the views every :data:`REFRESH_SECONDS`; stepping gets what drawing leaves of that period
(drawing is timed as it goes), so the views keep refreshing at high speeds and the models wait when
drawing is slow: the page never falls behind.  ``benchmarks/bench_dashboard.py`` measures both rates.

Without arguments the page shows the change programme storyline; ``orgsim dashboard`` passes its
arguments in ``ORGSIM_DASHBOARD_*`` environment variables (read by :func:`session_from_environment`).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")  # offline: no usage reports
if "solara.server.settings" in sys.modules:  # started by `solara run`: settings already read
    sys.modules["solara.server.settings"].telemetry.mixpanel_enable = False

import solara  # noqa: E402

# absolute imports: `solara run sim/app.py` loads this file outside its package

from sim.dashboard_figures import COLOUR_BY  # noqa: E402
from sim.dashboard_panels import ChangeLog, Charts, ControlsPanel, Headline, Legend, NetworkPane, Prediction  # noqa: E402
from sim.dashboard_session import DashboardSession  # noqa: E402
from sim.storylines import STORYLINES, Storyline  # noqa: E402

__all__ = ["Page", "Dashboard", "session_from_environment", "REFRESH_SECONDS", "DEFAULT_SPEED"]

REFRESH_SECONDS = 0.4  # views are redrawn at least twice a second while playing
MIN_STEP_SECONDS = 0.05  # stepping gets at least this much of each refresh period, however slow drawing is
DEFAULT_SPEED = 20  # working hours (ticks) per second


def custom_storyline(before: str | Path, after: str | Path | None = None) -> Storyline:
    """A storyline from scenario files (the command line's): ``after`` defaults to ``before``."""
    before = Path(before).resolve()
    after = Path(after).resolve() if after else before
    return Storyline("custom", "Your scenarios", "sandbox",
                     f"{before.name} on the left, {after.name} on the right, on the same seed. Change the right pane live.",
                     before=str(before), after=str(after))


def session_from_environment() -> DashboardSession:
    """The session a new page starts with: ``ORGSIM_DASHBOARD_BEFORE`` / ``_AFTER`` (scenario files),
    ``_STORYLINE`` (a key of :data:`sim.storylines.STORYLINES`) and ``_SEED``, else the change programme."""
    env = os.environ
    seed = int(env["ORGSIM_DASHBOARD_SEED"]) if env.get("ORGSIM_DASHBOARD_SEED") else None
    if env.get("ORGSIM_DASHBOARD_BEFORE"):
        return DashboardSession(custom_storyline(env["ORGSIM_DASHBOARD_BEFORE"], env.get("ORGSIM_DASHBOARD_AFTER")), seed)
    return DashboardSession(env.get("ORGSIM_DASHBOARD_STORYLINE") or "change_programme", seed)


@solara.component
def Dashboard(session: DashboardSession):
    """The whole page for one session (tests render this with their own session)."""
    version, set_version = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(DEFAULT_SPEED)
    colour_by, set_colour_by = solara.use_state("goal")
    seed, set_seed = solara.use_state(session.seed)
    failure, set_failure = solara.use_state("")
    custom = solara.use_memo(lambda: session.story if session.story.key not in STORYLINES else None, [])
    stories = {**STORYLINES, **({"custom": custom} if custom else {})}

    def redraw() -> None:
        set_version(lambda v: v + 1)

    def play(cancel) -> None:
        """Step ``speed`` ticks a second, redrawing every REFRESH_SECONDS, until paused or the end."""
        if not playing:
            return
        drawing = 0.1  # seconds a redraw takes, measured as we go
        try:
            while not cancel.is_set():
                start = time.monotonic()
                budget = max(MIN_STEP_SECONDS, REFRESH_SECONDS - drawing - 0.02)  # stepping gets what drawing leaves
                ran = session.step(max(1, round(speed * REFRESH_SECONDS)), max_seconds=budget, stop=cancel)
                drawn = time.monotonic()
                redraw()  # also after a pause: the page shows where the models stopped
                drawing = 0.7 * drawing + 0.3 * (time.monotonic() - drawn)
                if cancel.is_set():
                    return
                if ran == 0 or session.done:
                    set_playing(False)
                    return
                cancel.wait(max(0.0, REFRESH_SECONDS - (time.monotonic() - start)))
        except Exception as exc:  # shown on the page rather than lost in the thread
            set_failure(f"The run stopped at hour {session.now}: {type(exc).__name__}: {exc}")
            set_playing(False)

    solara.use_thread(play, dependencies=[playing, speed, id(session.after.model)], intrusive_cancel=False)

    def step(ticks: int) -> None:
        session.step(ticks)
        redraw()

    def reset(story_key: str | None = None, new_seed: int | None = None) -> None:
        set_playing(False)
        session.reset(stories[story_key] if story_key else None, new_seed if new_seed is not None else seed)
        redraw()

    def new_seed(value: int | None) -> None:
        if value is not None and value >= 0:
            set_seed(value)
            reset(None, value)

    solara.Title("orgsim: trainers' dashboard")
    hours = session.now * session.after.model.config.tick_hours
    with solara.Column(style={"padding": "8px", "max-width": "1500px"}):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, classes=["toolbar"]):
            with solara.Column(style={"width": "330px"}):
                solara.Select("Storyline", values=[s.title for s in stories.values()], value=session.story.title,
                              on_value=lambda title: reset(next(k for k, s in stories.items() if s.title == title)))
            with solara.Column(style={"width": "130px"}):
                solara.InputInt("Seed (both panes)", value=seed, on_value=new_seed)
            solara.Button("Pause" if playing else "Play", on_click=lambda: set_playing(not playing), color="primary", disabled=session.done, classes=["play"])
            solara.Button("Step", on_click=lambda: step(1), disabled=playing or session.done, classes=["step"])
            solara.Button("+1 day", on_click=lambda: step(8), disabled=playing or session.done, classes=["day"])
            solara.Button("Reset", on_click=lambda: reset(), classes=["reset"])
            solara.Text(f"hour {hours:g} of {session.end * session.after.model.config.tick_hours:g} (week {hours / 40:.1f}); seed {session.seed}",
                        classes=["clock"], style={"font-weight": "bold"})
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            with solara.Column(style={"width": "340px"}):
                solara.SliderInt(f"Speed: {speed} working hours a second", value=speed, on_value=set_speed, min=1, max=100)
            with solara.Column(style={"width": "280px"}):
                solara.Select("Colour people by", values=list(COLOUR_BY.values()), value=COLOUR_BY[colour_by],
                              on_value=lambda words: set_colour_by(next(k for k, w in COLOUR_BY.items() if w == words)))
        solara.Info(f"{session.story.title} ({session.story.stage}). {session.story.story}", dense=True)
        if failure:
            solara.Error(failure)
        Headline(session, version)
        with solara.Columns([3, 3, 2], gutters_dense=True):
            NetworkPane(session, session.before, version, colour_by)
            NetworkPane(session, session.after, version, colour_by)
            ControlsPanel(session, version, lambda: None if playing else redraw())  # while playing, the next frame shows it
        Legend(colour_by)
        Charts(session, version)
        with solara.Columns([1, 1], gutters_dense=True):
            ChangeLog(session, version)
            Prediction(session, version)


@solara.component
def Page():
    """The page ``solara run sim/app.py`` serves: one session per browser tab."""
    session = solara.use_memo(session_from_environment, [])
    Dashboard(session)
