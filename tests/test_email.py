"""Email channel: timing, FIFO capacity, routing through channels, gatekeepers, expiry, conservation."""

from __future__ import annotations

import numpy as np
import pytest

from sim.channels.email import EmailChannel, MessageKind
from sim.organisation import Role, build_organisation

from .conftest import bare

TREE_ONLY = ["organisation.ties_within_department=0", "organisation.ties_across_departments=0"]


def channel(*overrides, seed=0):
    s = bare("", "email.background_share=0", "email.reading_capacity_per_tick=1000", "email.routing='direct'", *overrides)
    org = build_organisation(s, np.random.default_rng(seed))
    return org, EmailChannel(org, s.email, s.gatekeepers, np.random.default_rng(seed + 1))


def run_until_delivered(ch, first_tick, last_tick):
    """Step ticks and collect (tick, reader, payload, final) of every read."""
    log = []
    for t in range(first_tick, last_tick):
        d = ch.step(t)
        log += [(t, int(r), int(p), bool(f)) for r, p, f in zip(d.reader, d.payload, d.final)]
    return log


@pytest.mark.parametrize("delay", [1, 3])
def test_a_mail_is_readable_after_the_delivery_delay(delay):
    org, ch = channel(f"email.delivery_delay_ticks={delay}")
    u, v = 5, int(org.ties_indices[org.ties_indptr[5]])
    ch.send(u, v, MessageKind.KNOWLEDGE, 42, now=0)
    log = run_until_delivered(ch, 0, 10)
    assert log == [(delay, v, 42, True)]


def test_inbox_is_fifo_at_exact_capacity():
    org, ch = channel("email.reading_capacity_per_tick=2")
    for payload in range(7):
        ch.send(1, 2, MessageKind.KNOWLEDGE, payload, now=0)
    ch.end_tick(0)
    assert ch.backlog[2] == 7  # counted at the end of the tick they were sent
    log = run_until_delivered(ch, 0, 10)
    assert [(t, p) for t, _, p, _ in log] == [(1, 0), (1, 1), (2, 2), (2, 3), (3, 4), (3, 5), (4, 6)]
    ch.end_tick(10)
    assert ch.peak_backlog[2] == 7 and ch.backlog[2] == 0


def test_background_mail_takes_its_share_of_capacity():
    org, ch = channel("email.reading_capacity_per_tick=12", "email.background_share=0.75", "email.expire_after_ticks=1000")
    ch.send(np.full(5000, 1), 2, MessageKind.KNOWLEDGE, 0, now=0)
    reads = sum(len(ch.step(t).reader) for t in range(1, 101))
    # Binomial(12, 0.25) per tick over 100 ticks: mean 300, sd 15
    assert 255 <= reads <= 345


def tree_distance(org, u, v):
    lca = org.lowest_common_manager([u, v])
    return int(org.level[u] + org.level[v] - 2 * org.level[lca])


def test_through_channels_walks_the_tree_and_each_relay_reads_it():
    org, ch = channel("email.routing='through_channels'", *TREE_ONLY)
    staff = np.flatnonzero(org.role == Role.EMPLOYEE)
    u, v = int(staff[0]), int(staff[-1])  # different departments
    assert org.department[u] != org.department[v] and not org.has_tie([u], [v])[0]
    ch.send(u, v, MessageKind.KNOWLEDGE, 9, now=0)
    log = run_until_delivered(ch, 0, 30)
    hops = tree_distance(org, u, v)
    assert [t for t, *_ in log] == list(range(1, hops + 1))
    readers = [r for _, r, _, _ in log]
    lca = org.lowest_common_manager([u, v])
    expected = [int(org.ancestors[lv, u]) for lv in range(org.level[u] - 1, org.level[lca] - 1, -1)]
    expected += [int(org.ancestors[lv, v]) for lv in range(org.level[lca] + 1, org.level[v] + 1)]
    assert readers == expected and log[-1][3]


def test_direct_routing_ignores_the_tree():
    org, ch = channel(*TREE_ONLY)
    staff = np.flatnonzero(org.role == Role.EMPLOYEE)
    ch.send(int(staff[0]), int(staff[-1]), MessageKind.KNOWLEDGE, 1, now=0)
    assert [t for t, *_ in run_until_delivered(ch, 0, 10)] == [1]


def test_mail_to_an_executive_waits_at_the_assistant():
    org, ch = channel("gatekeepers.bridges=['upward']", "gatekeepers.upward_max_level=0", "gatekeepers.filter_share=0", "gatekeepers.capacity_per_tick=1")
    ceo = int(np.flatnonzero(org.manager < 0)[0])
    heads = np.flatnonzero((org.role == Role.EXECUTIVE) & (org.manager == ceo))
    ch.send(heads, ceo, MessageKind.KNOWLEDGE, np.arange(len(heads)), now=0)
    log = run_until_delivered(ch, 0, 20)
    assistant = int(org.assistant[ceo])
    at_gate = [t for t, r, _, _ in log if r == assistant]
    assert at_gate == list(range(1, len(heads) + 1))  # one per tick: the assistant is a single server
    finals = [(t, p) for t, r, p, f in log if f]
    assert [p for _, p in finals] == list(range(len(heads)))  # FIFO through the gate
    assert [t for t, _ in finals] == list(range(2, len(heads) + 2))


def test_customer_mail_passes_desk_then_department_gate():
    org, ch = channel("gatekeepers.bridges=['department','customer']", "gatekeepers.filter_share=0")
    customer = int(np.flatnonzero(org.role == Role.CUSTOMER)[0])
    contact = int(org.manager[customer])
    ch.send(customer, contact, MessageKind.KNOWLEDGE, 3, now=0)
    readers = [r for _, r, _, _ in run_until_delivered(ch, 0, 10)]
    assert readers == [org.customer_desk, int(org.department_gate[org.department[contact]]), contact]
    # the reply goes out through the desk only (the department gate guards the way in)
    ch.send(contact, customer, MessageKind.KNOWLEDGE, 4, now=10)
    assert [r for _, r, _, _ in run_until_delivered(ch, 10, 20)] == [org.customer_desk, customer]


def test_a_gatekeeper_that_filters_everything_lets_nothing_through():
    org, ch = channel("gatekeepers.bridges=['customer']", "gatekeepers.filter_share=1")
    customers = np.flatnonzero(org.role == Role.CUSTOMER)
    ch.send(customers, org.manager[customers], MessageKind.KNOWLEDGE, 0, now=0)
    log = run_until_delivered(ch, 0, 40)  # the desk handles 6 a tick
    assert not any(f for *_, f in log) and ch.dropped_total == len(customers)


def test_phased_out_gatekeepers_are_skipped_for_new_mail():
    org, ch = channel("gatekeepers.bridges=['customer']", "gatekeepers.remove_at_tick=5", "gatekeepers.filter_share=0")
    c = int(np.flatnonzero(org.role == Role.CUSTOMER)[0])
    ch.send(c, org.manager[c], MessageKind.KNOWLEDGE, 0, now=4)
    ch.send(c, org.manager[c], MessageKind.KNOWLEDGE, 1, now=5)
    log = run_until_delivered(ch, 4, 10)
    assert [(r, p) for _, r, p, _ in log] == [(org.customer_desk, 0), (int(org.manager[c]), 1), (int(org.manager[c]), 0)]


def test_unread_mail_expires():
    org, ch = channel("email.reading_capacity_per_tick=0", "email.expire_after_ticks=7")
    ch.send(1, 2, MessageKind.KNOWLEDGE, 0, now=0)
    expired_at = [t for t in range(0, 20) if (ch.step(t), ch.expired_total)[1] == 1]
    assert expired_at[0] == 1 + 7 and ch.in_flight == 0


def test_every_message_is_delivered_dropped_expired_or_in_flight():
    org, ch = channel("email.routing='through_channels'", "email.reading_capacity_per_tick=3", "email.background_share=0.5",
                      "email.expire_after_ticks=15", "gatekeepers.bridges=['upward','department','partner','customer']", "gatekeepers.filter_share=0.2", "gatekeepers.capacity_per_tick=2")
    rng = np.random.default_rng(3)
    sent = final = 0
    for t in range(60):
        if t < 40:
            senders, targets = rng.integers(0, org.n, 40), rng.integers(0, org.n, 40)
            sent += ch.send(senders, targets, MessageKind.KNOWLEDGE, 0, now=t)
        final += int(ch.step(t).final.sum())
    assert sent > 1000
    assert sent == final + ch.dropped_total + ch.expired_total + ch.in_flight
    assert ch.dropped_total > 0 and ch.expired_total > 0 and final > 0


def test_closest_contact_routing_gets_nearer_every_hop_and_arrives():
    org, ch = channel("email.routing='closest_contact'", "organisation.ties_across_departments=2")
    staff = np.flatnonzero(org.role == Role.EMPLOYEE)
    u, v = int(staff[0]), int(staff[-1])
    ch.send(u, v, MessageKind.KNOWLEDGE, 5, now=0)
    log = run_until_delivered(ch, 0, 40)
    path = [u] + [r for _, r, _, _ in log]
    dist = org.tree_distance(np.array(path), np.full(len(path), v))
    assert path[-1] == v and log[-1][3] and (np.diff(dist) < 0).all()
    assert len(path) - 1 <= tree_distance(org, u, v)  # never longer than the way through channels


def test_a_send_capacity_spreads_a_team_mail_over_ticks():
    org, ch = channel("email.send_capacity_per_tick=2")
    for t in range(4):
        if t == 0:
            ch.send(1, np.arange(2, 9), MessageKind.KNOWLEDGE, np.arange(7), now=0)
        ch.end_tick(t)
        assert ch.tick_sent == (2 if t < 3 else 1) and len(ch.outbox) == max(0, 5 - 2 * t)
        ch.start_tick()
        ch.step(t + 1)
    log = run_until_delivered(ch, 4, 8)
    assert not log and ch.sent_by[1] == 7  # all out, in order: payloads 0,1 first
