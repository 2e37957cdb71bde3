"""The validation suite passes on the model as it is, and fails when a channel is broken on purpose."""

from __future__ import annotations

import numpy as np
import pytest

import sim.adoption as adoption
import sim.channels.email as email
import sim.model as model_module
import sim.routing as routing
from sim.messages import READY
from sim.cli import main
from sim.validation import CASES, bass, queue_length, run_cases

FAST = ["ticks=1500"]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.slow
def test_each_case_passes_at_ci_size(case):
    checks, _ = run_cases([case], quick=True)
    assert checks and all(c.passed for c in checks), [(c.quantity, c.simulated, c.theory, c.tolerance) for c in checks]


def test_theory_helpers():
    assert bass(0, 0.01, 0.1) == 0 and abs(bass(1e6, 0.01, 0.1) - 1) < 1e-12
    assert queue_length(0.5, 0.8) == pytest.approx(1.25)
    assert queue_length(0.2, 1.0) == pytest.approx(0.2 * 1.8 / 1.6)


@pytest.mark.slow
def test_other_rates_set_from_the_command_line_still_pass():
    checks, _ = run_cases(["V4"], quick=True, overrides=["gatekeepers.capacity_per_tick=0.9", "knowledge.market_signals_per_1000_per_tick=6.0"])
    assert all(c.passed for c in checks) and checks[0].theory == pytest.approx(queue_length(0.3, 0.9))


def failed(case, overrides=FAST, replications=6):
    checks, _ = run_cases([case], quick=True, overrides=overrides, replications=replications)
    return [c.quantity for c in checks if not c.passed]


@pytest.mark.slow
def test_a_gatekeeper_that_ignores_its_capacity_fails_v4(monkeypatch):
    real = model_module.OrgModel._budgets
    monkeypatch.setattr(model_module.OrgModel, "_budgets", lambda self: real(self) + self.is_gatekeeper)
    assert "mean queue L at the gatekeeper" in failed("V4")


@pytest.mark.slow
def test_an_off_by_one_tick_in_delivery_fails_v4(monkeypatch):
    real = routing.Router.forward

    def late(self, rows, now):
        out, dropped = real(self, rows, now)
        out[:, READY] += 1
        return out, dropped

    monkeypatch.setattr(routing.Router, "forward", late)
    # the desk's own queue is unchanged, but every mail reaches the contact a tick late
    broken = failed("V4")
    assert "mean time W from sending to leaving the gatekeeper (ticks)" in broken
    assert "Little: L - lambda W on the logged backlog" in broken and "mean queue L at the gatekeeper" not in broken


@pytest.mark.slow
def test_imitation_that_ignores_the_share_of_users_fails_v3(monkeypatch):
    real = adoption.Adoption.step

    def broken(self, now):
        share = self.share()
        real(self, now)
        if now > 0:  # extra adopters as if everybody already used the stream
            extra = self.rng.random(self.org.n) < 0.02 * (1 - share)
            self.adopted |= self.eligible & extra

    monkeypatch.setattr(adoption.Adoption, "step", broken)
    assert failed("V3", overrides=[], replications=4)


@pytest.mark.slow
def test_check_command_exit_codes(monkeypatch, capsys):
    assert main(["check", "--quick", "--case", "V5"]) == 0
    assert "2 passed, 0 failed" in capsys.readouterr().out
    real = model_module.OrgModel._budgets
    monkeypatch.setattr(model_module.OrgModel, "_budgets", lambda self: real(self) * 2)
    assert main(["check", "--quick", "--case", "V5", "--replications", "4"]) == 1


def _late_mail(monkeypatch):
    real = email.Mail._queue

    def late(self, rows):
        rows[:, READY] += 1
        return real(self, rows)

    monkeypatch.setattr(email.Mail, "_queue", late)


@pytest.mark.slow
def test_a_tick_late_delivery_breaks_the_deterministic_broadcast(monkeypatch):
    _late_mail(monkeypatch)
    checks, _ = run_cases(["V6"], quick=True)
    # mail is late at every level; the stream is not; mail that waits in an outbox is sent when released
    assert [c.passed for c in checks] == [False, False, True, True]


@pytest.mark.slow
def test_a_send_capacity_that_is_not_enforced_fails_v6(monkeypatch):
    def release_all(self, now):
        rows, self.outbox = self.outbox, self.outbox[:0]
        rows[:, READY] = now + self.cfg.delivery_delay_ticks
        self._dispatch(rows)

    monkeypatch.setattr(email.Mail, "end_tick", release_all)
    checks, _ = run_cases(["V6"], quick=True)
    assert [c.passed for c in checks] == [True, True, True, False]


@pytest.mark.slow
def test_routing_that_ignores_the_hierarchy_fails_v7(monkeypatch):
    monkeypatch.setattr(routing.Router, "logical_next", lambda self, frm, target, channel: np.asarray(target, np.int64).copy())
    checks, _ = run_cases(["V7"], quick=True, replications=4)
    assert not checks[0].passed and checks[0].simulated < 0.1  # only mail to or from the top


@pytest.mark.slow
def test_gossip_that_is_a_tick_slow_per_round_fails_v2(monkeypatch):
    _late_mail(monkeypatch)
    checks, _ = run_cases(["V2"], quick=True, overrides=["ticks=600"])
    assert not checks[0].passed and not checks[1].passed  # twice the rounds at both sizes


@pytest.mark.slow
def test_a_feed_that_ignores_attention_fails_v1(monkeypatch):
    monkeypatch.setattr(model_module.OrgModel, "_budgets", lambda self: np.full(self.org.n, 10**9))
    checks, _ = run_cases(["V1"], quick=True, overrides=["ticks=400"])
    assert not checks[0].passed and checks[0].simulated > 2 * checks[0].theory  # everyone reads every post
