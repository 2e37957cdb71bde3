"""Property-based tests (Hypothesis) of the invariants the model rests on, and a fuzz test of bad input.

- messages are conserved: every tracked entry written is delivered, dropped by a gatekeeper, expired
  unread or still in flight (queued, in transit, in an outbox);
- reading order: a reader never reads a lower priority level while a higher one holds unread
  entries, and within the level where the budget runs out reads the newest hour first;
- the CSR helpers of ``sim.arrays`` agree with plain Python;
- every field of a validated scenario survives a round trip through ``--set`` overrides;
- any of a family of bad scenarios ends with exit code 2, lines naming the file and the field, no
  traceback and nothing written.

Examples are few and derandomized (the same on every machine and every run), so CI stays fast and
deterministic; no example database is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import arrays
from sim.attention import Attention
from sim.cli import main
from sim.messages import COLUMNS, LEVEL, LEVELS, READER, READY, SENT, TARGET, new_rows
from sim.model import OrgModel
from sim.scenario import Scenario, load_scenario_text, scenario_hash

from .conftest import bare

QUICK = settings(derandomize=True, database=None, deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(derandomize=True, database=None, deadline=None, max_examples=10, suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=30,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# ------------------------------------------------------------------------------------------ CSR helpers
@QUICK
@given(st.lists(st.tuples(st.integers(-50, 50), st.integers(0, 6)), max_size=30))
def test_ranges_concatenates_the_ranges(pairs):
    start = np.array([a for a, _ in pairs], np.int64)
    lens = np.array([k for _, k in pairs], np.int64)
    expected = [a + i for a, k in pairs for i in range(k)]
    assert arrays.ranges(start, lens).tolist() == expected


@QUICK
@given(st.lists(st.lists(st.integers(0, 40), max_size=6), min_size=1, max_size=12), st.data())
def test_csr_rows_gathers_the_rows_asked_for(adjacency, data):
    indptr = np.r_[0, np.cumsum([len(r) for r in adjacency])].astype(np.int64)
    indices = np.array([x for r in adjacency for x in r], np.int64)
    rows = np.array(data.draw(st.lists(st.integers(0, len(adjacency) - 1), max_size=10)), np.int64)
    which, entries = arrays.csr_rows(indptr, indices, rows)
    expected = [(i, x) for i, r in enumerate(rows.tolist()) for x in adjacency[r]]
    assert list(zip(which.tolist(), entries.tolist())) == expected


@QUICK
@given(st.lists(st.integers(0, 5), max_size=40))
def test_fifo_rank_keeps_arrival_order_within_each_key(keys):
    keys = np.array(keys, np.int64)
    order, starts, counts, rank = arrays.fifo_rank(keys)
    seen: dict[int, int] = {}
    for position, item in enumerate(order.tolist()):
        key = int(keys[item])
        assert rank[position] == seen.get(key, 0)  # 0 for the first come, then 1, 2, ...
        seen[key] = seen.get(key, 0) + 1
    assert order.tolist() == sorted(range(len(keys)), key=lambda i: (keys[i], i))  # stable by key
    assert counts.sum() == len(keys) and sorted(seen.values()) == sorted(counts.tolist())
    assert [int(keys[order[s]]) for s in starts.tolist()] == sorted(seen)


# ------------------------------------------------------------------------------------------ reading order
arrivals = st.lists(  # per tick: entries (reader, level) arriving, a budget per reader, background counts
    st.tuples(
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, LEVELS - 1)), max_size=12),
        st.lists(st.integers(0, 6), min_size=3, max_size=3),
        st.lists(st.integers(0, 3), min_size=3 * LEVELS, max_size=3 * LEVELS),
    ),
    min_size=1, max_size=8,
)


def _unread_rows(att: Attention) -> np.ndarray:
    parts = [att.chunk_rows[s][att._unread_mask(s)] for s in range(att.slots) if att.chunk_rows[s] is not None and len(att.chunk_rows[s])]
    return np.concatenate(parts) if parts else np.empty((0, len(COLUMNS)), np.int64)


@QUICK
@given(arrivals, st.integers(1, 5), st.booleans())
def test_reading_takes_priority_levels_in_order_and_the_newest_hour_first(ticks, ttl, with_background):
    att = Attention(n=3, ttl=(ttl, ttl), rng=np.random.default_rng(0), background=with_background)
    for now, (entries, budget, bg) in enumerate(ticks):
        rows = new_rows(len(entries))
        if len(entries):
            rows[:, READER] = [r for r, _ in entries]
            rows[:, LEVEL] = [lv for _, lv in entries]
            rows[:, TARGET] = rows[:, READER]
            rows[:, READY] = now
            rows[:, SENT] = now  # the hour it arrives: newest first compares these
        att.add(rows)
        background = None
        if with_background:
            background = np.zeros((2, LEVELS, 3), np.int64)
            background[0] = np.array(bg).reshape(LEVELS, 3)
        queued_before = att.queued + np.bincount(rows[:, READER], minlength=3) + (background.sum(axis=(0, 1)) if with_background else 0)
        read = att.step(now, np.array(budget), background)
        unread = _unread_rows(att)
        for person in range(3):
            took = read.rows[read.rows[:, READER] == person]
            left = unread[unread[:, READER] == person]
            assert read.per_channel[:, person].sum() <= budget[person]
            if len(took) and len(left):
                # nothing of a lower priority (a higher level number) read while a higher one waits
                assert took[:, LEVEL].max() <= left[:, LEVEL].min()
                cut = took[:, LEVEL].max()
                same = left[left[:, LEVEL] == cut]
                if len(same):  # in the level where the budget ran out: the newest hour first
                    assert took[took[:, LEVEL] == cut][:, SENT].min() >= same[:, SENT].max()
            assert read.per_channel[:, person].sum() <= queued_before[person]
        # an entry is never read twice, and what is read was readable
        assert (read.rows[:, READY] <= now).all()


@QUICK
@given(arrivals, st.integers(0, 3), st.integers(2, 6))
def test_a_ring_shorter_than_the_time_to_live_drops_entries_when_their_slot_comes_round(ticks, horizon, ttl):
    """A run continued past the horizon the ring was sized for: an entry is dropped when its slot is
    reused, and the queue counters keep agreeing with the rows and background held."""
    att = Attention(n=3, ttl=(ttl, ttl), rng=np.random.default_rng(0), background=True, horizon=horizon)
    assert att.slots == min(ttl, horizon + 1)
    for now, (entries, budget, bg) in enumerate(ticks * 3):
        rows = new_rows(len(entries))
        if len(entries):
            rows[:, READER] = [r for r, _ in entries]
            rows[:, LEVEL] = [lv for _, lv in entries]
            rows[:, TARGET] = rows[:, READER]
            rows[:, READY] = rows[:, SENT] = now
        att.add(rows)
        background = np.zeros((2, LEVELS, 3), np.int64)
        background[1] = np.array(bg).reshape(LEVELS, 3)
        att.step(now, np.array(budget) // 2, background)
        unread = _unread_rows(att)
        assert (now - unread[:, SENT] < att.slots).all()
        assert att.tracked_queued.tolist() == np.bincount(unread[:, READER], minlength=3).tolist()
        held = att.background.sum(axis=(2, 3)) + np.bincount(unread[:, READER] * LEVELS + unread[:, LEVEL], minlength=3 * LEVELS).reshape(3, LEVELS)
        assert (att.level_queued == held).all()
        assert (att.background_level == att.background.sum(axis=3)).all()


# ------------------------------------------------------------------------------------------ conservation
class _Ledger:
    """Counts every tracked entry queued and every hop forwarded or dropped, by wrapping the two
    places entries enter queues (``Attention.add``) and leave a relay or gatekeeper (``Router.forward``)."""

    def __init__(self, model: OrgModel):
        self.added = self.forwarded = self.dropped = self.delivered = 0
        add, forward = model.attention.add, model.router.forward

        def counting_add(rows):
            self.added += len(rows)
            return add(rows)

        def counting_forward(rows, now):
            out, dropped = forward(rows, now)
            self.forwarded += len(out)
            self.dropped += int(np.asarray(dropped).sum())
            return out, dropped

        model.attention.add = counting_add
        model.router.forward = counting_forward


scenarios = st.fixed_dictionaries({
    "routing": st.sampled_from(["direct", "through_channels", "closest_contact"]),
    "bridges": st.sets(st.sampled_from(["upward", "department", "partner", "customer"])).map(sorted),
    "filter": st.sampled_from([0.0, 0.3, 0.9]),
    "stream": st.booleans(),
    "send_capacity": st.sampled_from(["", "1", "3"]),
    "ttl": st.integers(1, 8),
    "delay": st.integers(1, 3),
    "capacity": st.sampled_from([0.5, 2.0, 6.0]),
    "reading": st.sampled_from([2.0, 20.0]),
    "remove_at": st.sampled_from(["", "10"]),
})


@FEW
@given(scenarios, st.integers(0, 2**16))
def test_every_tracked_message_is_delivered_dropped_expired_or_in_flight(p, seed):
    overrides = [
        "ticks=40", "organisation.people_per_department=12", "organisation.partners=4", "organisation.customers=8",
        f"email.routing='{p['routing']}'", f"stream.routing='{p['routing']}'", f"gatekeepers.bridges={json.dumps(p['bridges'])}",
        f"gatekeepers.filter_share={p['filter']}", f"gatekeepers.capacity_per_tick={p['capacity']}",
        f"email.expire_after_ticks={p['ttl']}", f"stream.feed_ttl_ticks={p['ttl']}", f"email.delivery_delay_ticks={p['delay']}",
        f"attention.reading_minutes_per_tick={p['reading']}", "load.received_per_tick=2",
        "knowledge.market_signals_per_1000_per_tick=40", "knowledge.process_per_1000_per_tick=20", "knowledge.goals_per_1000_per_tick=5",
        "decisions.customer_issues_per_1000_per_tick=40", "decisions.market_opportunities_per_1000_per_tick=40",
        "decisions.internal_improvements_per_1000_per_tick=10", "email.random_mail_per_tick=1",
    ]
    if p["stream"]:
        overrides += ["stream.enabled=true", "adoption.initial_share=0.5", "stream.communities=2"]
    if p["send_capacity"]:
        overrides.append(f"email.send_capacity_per_tick={p['send_capacity']}")
    timeline = f"[[interventions]]\ntick = {p['remove_at']}\naction = 'remove_gatekeepers'\n" if p["remove_at"] else ""
    model = OrgModel(load_scenario_text(timeline, overrides), seed=seed)
    ledger = _Ledger(model)
    for _ in range(model.config.ticks):
        model.step()
        rows = model.last_read.rows
        ledger.delivered += int((rows[:, READER] == rows[:, TARGET]).sum())
        sent = ledger.added - ledger.forwarded + len(model.mail.outbox)  # relays' hops are not new messages
        accounted = ledger.delivered + ledger.dropped + int(model.attention.expired.sum()) + model.tracked_in_flight()
        assert sent == accounted, (sent, ledger.delivered, ledger.dropped, int(model.attention.expired.sum()), model.tracked_in_flight())
    assert ledger.added > 100 and ledger.delivered > 0  # the example carried traffic


# ------------------------------------------------------------------------------------------ --set round trip
def _toml(value) -> str:
    """A value as a TOML literal for ``--set``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def _overrides(data: dict, prefix: str = "") -> list[str]:
    """Every leaf of a scenario's data as ``dotted.key=value`` (tables of free keys set whole)."""
    out = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and key not in ("audience", "stream_audience", "scope_shares"):
            out += _overrides(value, dotted + ".")
        elif value is not None:
            out.append(f"{dotted}={_toml(value)}")
    return out


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=20).filter(lambda s: s.strip())
shares = st.floats(0, 1, allow_nan=False)
weights = st.dictionaries(st.sampled_from(["ties", "team", "department", "community", "company"]), st.floats(0.01, 5), min_size=1)


@QUICK
@given(st.fixed_dictionaries({
    "name": names, "description": st.text(max_size=30).filter(lambda s: all(c >= " " or c in "\t\n\r" for c in s) and "\x7f" not in s),
    "ticks": st.integers(1, 5000), "seed": st.integers(0, 2**40),
    "routing": st.sampled_from(["direct", "through_channels", "closest_contact"]),
    "bridges": st.sets(st.sampled_from(["upward", "department", "partner", "customer"])).map(sorted),
    "share": shares, "look": shares, "capacity": st.floats(0, 100), "audience": weights,
    "departments": st.lists(names.filter(lambda s: s not in ("executive office", "(external)")), min_size=1, max_size=4, unique=True),
    "send_capacity": st.none() | st.integers(1, 50),
}))
def test_every_field_survives_a_round_trip_through_set(v):
    text = (f"name = {_toml(v['name'])}\nticks = {v['ticks']}\nseed = {v['seed']}\n"
            f"[organisation]\ndepartments = {_toml(v['departments'])}\nsales_department = {_toml(v['departments'][0])}\n"
            f"support_department = {_toml(v['departments'][-1])}\n"
            f"[gatekeepers]\nbridges = {_toml(v['bridges'])}\ncapacity_per_tick = {v['capacity']!r}\n"
            f"[email]\nrouting = '{v['routing']}'\n" + (f"send_capacity_per_tick = {v['send_capacity']}\n" if v["send_capacity"] else "")
            + f"[stream]\nfeed_attention_share = {v['look']!r}\n[knowledge]\nshare_propensity = {v['share']!r}\naudience = {_toml(v['audience'])}\n")
    original = load_scenario_text(text, [f"description={_toml(v['description'])}"])
    again = load_scenario_text("", _overrides(original.to_dict()))
    assert again == original and scenario_hash(again) == scenario_hash(original)


# ------------------------------------------------------------------------------------------ fuzz: bad input
NUMERIC = {  # field: values it must refuse (plus the values every number refuses, below)
    "ticks": ["0", "-3", "2.5", "1e7"],
    "organisation.people_per_department": ["0", "1.5", "300000"],
    "organisation.ties_within_department": ["-1", "1e9"],
    "attention.reading_minutes_per_tick": ["-1", "1e9"],
    "gatekeepers.capacity_per_tick": ["-0.5", "1e300"],
    "stream.feed_attention_share": ["1.01", "-0.1"],
    "knowledge.retell_for_ticks": ["9223372036854775000", "-1"],
    "knowledge.process_per_1000_per_tick": ["1e9", "-2"],
    "decisions.customer_issues_per_1000_per_tick": ["1e308"],
    "load.received_per_tick": ["1e12"],
    "email.delivery_delay_ticks": ["0", "1001"],
    "stream.communities": ["-1", "5000"],
}
TEXT = ["name", "organisation.sales_department", "email.routing"]
EVERY_NUMBER_REFUSES = ["inf", "-inf", "nan", "true", "false", "1979-05-27", "07:32:00", "'text'", "[1, 2]", "{a = 1}"]
EVERY_TEXT_REFUSES = ['"a\\u0000b"', "5", "true", "1979-05-27T07:32:00Z", "[]", "{a = 1}", '"line\\nbreak"']
SHAPES = ["organisation = 5", "email = 'x'", "[stream]\nenabled = 3", "ticks = 1979-05-27", "name = \"\\u0000\"", "base = '.'", "base = ''"]

bad_override = (st.sampled_from(sorted(NUMERIC)).flatmap(lambda f: st.sampled_from(NUMERIC[f] + EVERY_NUMBER_REFUSES).map(lambda v: (f, v)))
                | st.sampled_from(TEXT).flatmap(lambda f: st.sampled_from(EVERY_TEXT_REFUSES).map(lambda v: (f, v))))


def _run_cli(args: list[str], capsys) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(args)
    return rc, capsys.readouterr().err


@FUZZ
@given(st.lists(bad_override, min_size=1, max_size=3, unique_by=lambda fv: fv[0]), st.sampled_from(["", "# a valid file\nticks = 20\n"]))
def test_fuzz_bad_overrides_exit_2_naming_file_and_field_and_write_nothing(capsys, bad, body):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "fuzz.toml"
        path.write_text(body)
        before = sorted(os.listdir(tmp))
        args = ["run", str(path), "--out", str(tmp / "out"), "--quiet"] + [x for f, v in bad for x in ("--set", f"{f}={v}")]
        rc, err = _run_cli(args, capsys)
        assert rc == 2, (args, err)
        assert "Traceback" not in err and err.strip()
        lines = err.strip().splitlines()
        assert all(line.startswith(str(path) + ": ") for line in lines), lines
        named = {f for f, _ in bad}
        assert any(any(f in line for line in lines) for f in named), (named, lines)
        assert sorted(os.listdir(tmp)) == before  # nothing written


@FUZZ
@given(st.sampled_from(SHAPES), st.sampled_from(["", "\ufeff"]), st.binary(max_size=8))
def test_fuzz_bad_files_exit_2_naming_the_file_and_write_nothing(capsys, shape, bom, junk):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "fuzz.toml"
        path.write_bytes((bom + shape + "\n").encode() + (b"# " + junk.replace(b"\n", b" ") if junk else b""))
        before = sorted(os.listdir(tmp))
        rc, err = _run_cli(["run", str(path), "--out", str(tmp / "out"), "--quiet"], capsys)
        assert rc == 2 and "Traceback" not in err, err
        assert err.startswith(f"{path}: ")
        assert sorted(os.listdir(tmp)) == before


def test_round_trip_helper_covers_every_field():
    """The round trip above only means something if the overrides set every field the scenario has."""
    data = Scenario().to_dict()
    keys = {o.partition("=")[0] for o in _overrides(data)}
    leaves = {k for k in keys if not k.startswith("organisation.import")}
    assert {"ticks", "email.routing", "knowledge.audience", "organisation.departments", "stream.feed_attention_share"} <= leaves
    assert len(leaves) > 60
    assert bare().ticks == 2000  # the helper scenario of the other tests still loads
