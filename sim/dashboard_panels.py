"""Solara components of the trainers' dashboard (:mod:`sim.app` puts them on the page).

Each view takes the :class:`~sim.dashboard_session.DashboardSession` and a ``version`` number that
the page raises whenever the models change (a step, a control, a reset); figures are redrawn only
when it changes.  Figures are drawn under the session's lock (tens of milliseconds), so a step
never runs half-way through a drawing.
"""

from __future__ import annotations

import math

import reacton.ipywidgets as rw
import solara

from . import controls
from .controls import BRIDGES, ControlError
from .dashboard_figures import COLOUR_BY, COLOURS, ChartsView, NetworkView
from .dashboard_metrics import goal_t90_hours, headline_sentences
from .dashboard_session import RECENT_TICKS, DashboardSession, Pane

__all__ = ["Headline", "NetworkPane", "Charts", "ControlsPanel", "ChangeLog", "Prediction"]


@solara.component
def Headline(session: DashboardSession, version: int):
    """The comparison in plain words, one sentence a line."""
    with session.lock:
        lines = headline_sentences(session.before.model, session.after.model)
    with solara.Column(gap="2px", classes=["headline"]):
        for line in lines:
            solara.Text(line, style={"font-size": "1.05rem"}, classes=["headline-line"])


@solara.component
def NetworkPane(session: DashboardSession, pane: Pane, version: int, colour_by: str):
    """One pane's organisation, redrawn when ``version`` or the colouring changes."""
    model = pane.model
    view = solara.use_memo(lambda: NetworkView(pane.layout, model.org.role, model.org.level), [id(model)])

    def draw() -> bytes:
        with session.lock:
            return view.update(model, pane.recent_messages(), colour_by)

    png = solara.use_memo(draw, [id(model), version, colour_by])
    side = "Left (before)" if pane.label == "before" else "Right (after)"
    with solara.Card(f"{side}: {pane.name}", subtitle=f"{model.org.n:,} people, tick {model.now}", margin=0, classes=[f"pane-{pane.label}"]):
        rw.Image(value=png, format="png", layout={"width": "100%", "max_width": "440px"})


@solara.component
def Legend(colour_by: str):
    dot = lambda colour, text: solara.Text(f"● {text}", style={"color": colour, "margin-right": "10px", "font-size": "0.85rem"})  # noqa: E731
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
        dot(COLOURS["knows"] if colour_by == "goal" else COLOURS["uses_stream"], COLOUR_BY[colour_by])
        dot(COLOURS["gatekeeper_on"], "gatekeeper screening (◆; hollow: switched off)")
        dot("#888888", "partners ▲ and customers ■ around the edge")
        dot(COLOURS["email"], f"lines: mail read in the last {RECENT_TICKS} h")
        dot(COLOURS["stream"], f"lines: stream posts and @mentions read in the last {RECENT_TICKS} h")


@solara.component
def Charts(session: DashboardSession, version: int):
    """Six charts on one time axis, both panes, live changes marked."""
    view = solara.use_memo(ChartsView, [])

    def draw() -> bytes:
        with session.lock:
            return view.update(session.before.model, session.after.model, session.live_changes(), session.scheduled())

    png = solara.use_memo(draw, [version, id(session.after.model)])
    with solara.Card("Over time: solid = right (after), dashed = left (before); numbered lines = your changes, dotted = the scenario's own",
                     margin=0, classes=["charts"]):
        rw.Image(value=png, format="png", layout={"width": "100%"})


@solara.component
def ControlsPanel(session: DashboardSession, version: int, on_change):
    """Live controls for the right pane.  ``on_change`` is called after every change (to redraw)."""
    error, set_error = solara.use_state("")
    pilot, set_pilot = solara.use_state(0.05)
    model = session.after.model

    def act(control: str, value) -> None:
        try:
            session.apply(control, value)
            set_error("")
        except ControlError as exc:
            set_error(str(exc))
        on_change()

    with solara.Card("Change the right pane, live", margin=0, classes=["controls"]), solara.Column(gap="0px"):
        solara.Text("Gatekeepers", style={"font-weight": "bold"})
        for bridge in BRIDGES:
            built = controls.gate_built(model, bridge)
            solara.Switch(label=f"{bridge} gatekeepers" + ("" if built else " (none here)"), value=controls.gate_open(model, bridge),
                          on_value=lambda on, b=bridge: act(f"gatekeepers.{b}", on), disabled=not built, classes=[f"gate-{bridge}"])
        solara.Text("Stream", style={"font-weight": "bold"})
        if model.adoption.live:
            solara.Text(f"live; {100 * model.adoption.share():.0f} % of eligible people use it")
        else:
            solara.SliderFloat(f"pilot group: {100 * pilot:.0f} % of eligible people", value=pilot, on_value=set_pilot, min=0.0, max=0.5, step=0.01)
            solara.Button("Launch the stream", on_click=lambda: act("stream.launch", pilot), color="primary", classes=["launch"])
        p, q, look = (controls.current(model, c) for c in ("adoption.training_p", "adoption.imitation_q", "stream.feed_attention_share"))
        solara.SliderFloat(f"training push p = {p:g} per hour", value=p, min=0.0, max=0.005, step=0.0001, on_value=lambda v: act("adoption.training_p", v))
        solara.SliderFloat(f"imitation q = {q:g} per hour", value=q, min=0.0, max=0.05, step=0.001, on_value=lambda v: act("adoption.imitation_q", v))
        solara.SliderFloat(f"stream attention: {100 * look:.0f} % of the feed looked at", value=look, min=0.0, max=1.0, step=0.05,
                           on_value=lambda v: act("stream.feed_attention_share", v))
        solara.Switch(label="'No social at work' policy", value=controls.current(model, "stream.policy") == "restricted",
                      on_value=lambda on: act("stream.policy", "restricted" if on else "open"), classes=["policy"])
        solara.Switch(label="managers set the norm (a team whose manager stays off treats it as restricted)",
                      value=bool(controls.current(model, "adoption.managers_set_the_norm")),
                      on_value=lambda on: act("adoption.managers_set_the_norm", bool(on)), classes=["norm"])
        solara.Text("Decisions", style={"font-weight": "bold"})
        solara.Switch(label="taken by the people involved (off: escalate)", value=controls.current(model, "decisions.ownership") == "involved",
                      on_value=lambda on: act("decisions.ownership", "involved" if on else "escalation"), classes=["ownership"])
        if error:
            solara.Error(error, dense=True)


@solara.component
def ChangeLog(session: DashboardSession, version: int):
    """The live changes, numbered as on the charts, and saving them as a scenario file."""
    saved, set_saved = solara.use_state("")
    changes = session.live_changes()

    def save() -> None:
        path = session.save()
        set_saved(str(path))

    hours = session.after.model.config.tick_hours
    with solara.Card("Your changes", margin=0, classes=["changelog"]):
        with solara.Column(gap="2px"):
            if not changes:
                solara.Text("None yet: the right pane runs its scenario as written.")
            for k, c in enumerate(changes, start=1):
                solara.Text(f"{k}. hour {c.tick * hours:g}: {c.label}", classes=["change"])
            for tick, words in session.scheduled():
                solara.Text(f"· hour {tick * hours:g}: {words} (the scenario's own)", style={"color": "#777"})
        with solara.Row():
            solara.Button("Save as scenario", on_click=save, disabled=not changes, classes=["save"])
        if saved:
            solara.Success(f"saved: {saved}", dense=True)
            with open(saved, encoding="utf-8") as fh:
                solara.FileDownload(fh.read(), filename=saved.rsplit("/", 1)[-1], label="Download the file")


@solara.component
def Prediction(session: DashboardSession, version: int):
    """Predict, then run: the room's guess beside what the panes show."""
    guess, set_guess = solara.use_state(session.prediction_hours)

    def on_guess(value):
        session.prediction_hours = value
        set_guess(value)

    with session.lock:
        right, n_right, got_right = goal_t90_hours(session.after.model)
        left, _, got_left = goal_t90_hours(session.before.model)
    fmt = lambda v: "no goal yet" if math.isnan(v) else ("not yet: fewer than half the goals got there" if math.isinf(v) else f"{v:.0f} h")  # noqa: E731
    with solara.Card("Predict, then run", margin=0, classes=["prediction"]):
        solara.InputFloat("Your guess: hours until 90 % of the staff a new goal concerns know it (right pane)", value=guess, on_value=on_guess, optional=True)
        solara.Text(f"Right pane: {fmt(right)} ({n_right} goals so far, {got_right} reached 90 %); left pane: {fmt(left)}.")
        if guess is not None and not math.isnan(right):
            solara.Text(f"The room guessed {guess:.0f} h.", style={"font-weight": "bold"})
