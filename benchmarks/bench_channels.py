"""Benchmark of the vectorised channels in ``sim.channels``: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_channels.py [--sizes 1000,10000,100000] [--ticks 200] [--quick] [--json PATH]

Per organisation size it measures (1) build time, (2) EmailChannel and (3) StreamChannel alone under a
fixed synthetic load, (4) plain-numpy kernels of the same semantics as lower bounds, (5) an idiomatic
per-agent Mesa email model (sizes <= 10,000), (6) the full OrgModel on two shipped scenarios scaled to
the size, and (7) memory: the tracemalloc peak (Python objects + numpy buffers, which numpy reports to
tracemalloc) while a section builds its state and runs its warm-up ticks; the timed ticks run untraced.
The process-wide ru_maxrss is printed at the end.  All randomness comes from seeded numpy Generators
(the Mesa model uses its own seeded ``random.Random``).
"""

from __future__ import annotations

import argparse, json, platform, resource, sys, time, tracemalloc
from collections import deque
from pathlib import Path

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sim.channels.email import EmailChannel, MessageKind, stochastic_round  # noqa: E402
from sim.channels.stream import StreamChannel, build_spaces  # noqa: E402
from sim.model import OrgModel  # noqa: E402
from sim.organisation import build_organisation  # noqa: E402
from sim.scenario import load_scenario, load_scenario_text  # noqa: E402

DEPARTMENTS = ["sales", "support", "marketing", "engineering", "product", "operations", "finance", "hr"]
SEED, WARMUP = 20240501, 20
SEND_SHARE = 0.05  # share of people sending one mail per tick in the email load
MESA_MAX = 10_000  # the per-agent Mesa model only runs up to this size
BUDGET_S = 180.0  # a timed loop stops after this many seconds (reported as partial)
MiB = 2**20


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def bench_scenario(n: int):
    """About n people: 90 % staff in 8 departments (~10 ties each), the rest partners and customers."""
    ppd = max(2, n * 9 // 80)
    partners = max(1, n // 50)
    customers = max(1, n - 8 * ppd - 1 - partners)
    return load_scenario_text(f"""
name = "bench-{n}"
[organisation]
departments = {json.dumps(DEPARTMENTS)}
people_per_department = {ppd}
ties_within_department = 10
partners = {partners}
customers = {customers}
[email]
routing = "direct"
background_share = 0.75
reading_capacity_per_tick = 12.0
[stream]
enabled = true
attention_items_per_tick = 4.0
background_items_per_tick = 6.0
communities = 0
""")


def run_ticks(setup, warmup: int, ticks: int) -> dict:
    """Build a section's state with ``setup()`` (returns ``tick(now) -> items read``) and run ``warmup``
    ticks under tracemalloc (peak in MiB), then time ``ticks`` more untraced (ms per tick, reads/s)."""
    tracemalloc.start()
    tick = setup()
    for now in range(warmup):
        tick(now)
    peak = tracemalloc.get_traced_memory()[1] / MiB
    tracemalloc.stop()
    reads, done, t0 = 0, 0, time.perf_counter()
    for now in range(warmup, warmup + ticks):
        reads += tick(now)
        done += 1
        if time.perf_counter() - t0 > BUDGET_S:
            break
    sec = time.perf_counter() - t0
    return {"ms_per_tick": 1e3 * sec / done, "reads_per_tick": reads / done, "reads_per_s": reads / sec,
            "peak_mib": peak, "ticks_timed": done, "partial": done < ticks}


# ---------------------------------------------------------------------------------------- 1. build
def bench_build(s) -> dict:
    """Seconds for build_organisation and for a whole OrgModel (organisation + one Mesa agent per person,
    channels, spaces); tracemalloc peak (MiB) of each in a second, traced, run."""
    out = {}
    for name, make in (("organisation", lambda: build_organisation(s, np.random.default_rng(SEED))),
                       ("model", lambda: OrgModel(s, SEED))):
        t0 = time.perf_counter()
        obj = make()
        out[f"{name}_s"] = time.perf_counter() - t0
        del obj
        tracemalloc.start()
        obj = make()
        out[f"{name}_mib"] = tracemalloc.get_traced_memory()[1] / MiB
        tracemalloc.stop()
        del obj
    return out


# ---------------------------------------------------------------------------------------- 2. email
def email_load(org, ticks: int, rng) -> list:
    """Per tick: SEND_SHARE of the people (drawn afresh) each mail one random tie.  Drawn before timing."""
    k, deg = max(1, int(SEND_SHARE * org.n)), org.degree
    load = []
    for _ in range(ticks):
        s = rng.choice(org.n, k, replace=False)
        s = s[deg[s] > 0]
        t = org.ties_indices[org.ties_indptr[s] + (rng.random(len(s)) * deg[s]).astype(np.int64)]
        load.append((s.astype(np.int32), t.astype(np.int32)))
    return load


def email_channel_setup(org, s, load):
    """EmailChannel: per tick ``send`` the tick's load, then ``step``."""
    ch = EmailChannel(org, s.email, s.gatekeepers, np.random.default_rng(SEED))

    def tick(now):
        ch.send(load[now][0], load[now][1], MessageKind.KNOWLEDGE, now, now)
        return len(ch.step(now).reader)
    return tick


def email_kernel_setup(org, s, load):
    """Lower bound: FIFO inboxes as four arrays in arrival order, stable argsort by holder, rank within
    holder < binomial(stochastically rounded capacity, 1 - background_share); no routing, no counters."""
    cfg, rng = s.email, np.random.default_rng(SEED)
    st = {"at": np.empty(0, np.int32), "ready": np.empty(0, np.int32), "origin": np.empty(0, np.int32), "payload": np.empty(0, np.int64)}

    def tick(now):
        snd, tgt = load[now]
        new = {"at": tgt, "ready": np.full(len(tgt), now + cfg.delivery_delay_ticks, np.int32), "origin": snd,
               "payload": np.full(len(tgt), now, np.int64)}
        for k in st:
            st[k] = np.concatenate([st[k], new[k]])
        waited = now - st["ready"]
        live = waited < cfg.expire_after_ticks
        idx = np.flatnonzero(live & (waited >= 0))
        idx = idx[np.argsort(st["at"][idx], kind="stable")]
        holder = st["at"][idx]
        first = np.flatnonzero(np.r_[True, holder[1:] != holder[:-1]]) if len(idx) else idx
        counts = np.diff(np.r_[first, len(idx)])
        slots = rng.binomial(stochastic_round(cfg.reading_capacity_per_tick, rng, len(first)), 1.0 - cfg.background_share)
        read = np.sort(idx[np.arange(len(idx)) - np.repeat(first, counts) < np.repeat(slots, counts)])
        reader, _origin, _payload = st["at"][read], st["origin"][read], st["payload"][read]  # what is delivered
        live[read] = False
        for k in st:
            st[k] = st[k][live]
        return len(reader)
    return tick


class MailPerson(mesa.Agent):
    """One person: a deque inbox of (ready_tick, origin, payload), read oldest first up to capacity."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index, self.inbox = index, deque()

    def step(self):
        m, now, inbox = self.model, self.model.now, self.inbox
        to = m.sending.get(self.index)
        if to is not None:
            m.people[to].inbox.append((now + m.delay, self.index, now))
        while inbox and now - inbox[0][0] >= m.expire:
            inbox.popleft()
        cap = m.capacity
        slots = self.random.binomialvariate(int(cap) + (self.random.random() < cap - int(cap)), m.p_model)
        while slots and inbox and inbox[0][0] <= now:
            _, origin, payload = inbox.popleft()
            m.delivered.append((self.index, origin, payload))
            slots -= 1


class MailModel(mesa.Model):
    """Idiomatic Mesa email model: the tick's load is handed to the senders, then ``shuffle_do("step")``."""

    def __init__(self, n: int, email_cfg, load, seed: int):
        super().__init__(rng=seed)
        self.capacity, self.p_model = email_cfg.reading_capacity_per_tick, 1.0 - email_cfg.background_share
        self.delay, self.expire = email_cfg.delivery_delay_ticks, email_cfg.expire_after_ticks
        self.load, self.now, self.sending, self.delivered = load, 0, {}, []
        self.people = [MailPerson(self, i) for i in range(n)]

    def step(self):
        s, t = self.load[self.now]
        self.sending = dict(zip(s.tolist(), t.tolist()))
        self.delivered = []
        self.agents.shuffle_do("step")
        self.now += 1


def mesa_setup(org, s, load):
    model = MailModel(org.n, s.email, load, SEED)

    def tick(now):
        model.step()
        return len(model.delivered)
    return tick


# ---------------------------------------------------------------------------------------- 3. stream
def stream_load(spaces, n: int, ticks: int, rng) -> list:
    """Per tick: n // 1000 posts (at least one), each to a random space (company or department, 2+ members)
    by a random member of it.  Drawn before timing."""
    k, size = max(1, n // 1000), spaces.size()
    ok = np.flatnonzero(size > 1)
    load = []
    for _ in range(ticks):
        sp = ok[rng.integers(0, len(ok), k)]
        author = spaces.members_indices[spaces.members_indptr[sp] + (rng.random(k) * size[sp]).astype(np.int64)]
        load.append((sp.astype(np.int32), author.astype(np.int32)))
    return load


def stream_channel_setup(org, spaces, s, load):
    """StreamChannel: per tick ``post`` the tick's load, then ``step`` with attention 4.0 for all."""
    ch = StreamChannel(org, spaces, s.stream, np.random.default_rng(SEED))
    attention = np.full(org.n, s.stream.attention_items_per_tick)

    def tick(now):
        ch.post(load[now][1], load[now][0], MessageKind.KNOWLEDGE, now, now)
        return len(ch.step(now, attention, s.stream.background_items_per_tick).person)
    return tick


def pick(group, k, rng):
    """Mask choosing exactly k[g] entries at random among the entries of each group g (one argsort)."""
    order = np.argsort(group + rng.random(len(group)))
    g = group[order]
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else g
    mask = np.zeros(len(group), bool)
    mask[order[np.arange(len(g)) - np.repeat(first, np.diff(np.r_[first, len(g)])) < k[g]]] = True
    return mask


def stream_kernel_setup(org, spaces, s, load):
    """Lower bound, same semantics as StreamChannel (newest first; per batch a reader takes
    min(budget, batch) items, the modelled share hypergeometric, exactly that many of its entries at
    random): last tick's posts expanded to followers via CSR; background counts in a (ttl, n) ring;
    unread entries in one chunk per hour, so ageing out drops a chunk and nothing is re-concatenated."""
    n, ttl, rng = org.n, s.stream.feed_ttl_ticks, np.random.default_rng(SEED)
    attention = np.full(n, s.stream.attention_items_per_tick)
    indptr, members = spaces.members_indptr, spaces.members_indices
    none = (np.empty(0, np.int32), np.empty(0, np.int64))
    st = {"ring": np.zeros((ttl, n), np.int32), "chunks": [none] * ttl, "prev": (np.empty(0, np.int32), np.empty(0, np.int32), 0), "next": 0}

    def read_older(now, readers, spare):
        has = spare > 0
        if ttl == 1 or not has.any():
            return [], []
        rows, slots = readers[has], (now - np.arange(1, ttl)) % ttl
        row_of = np.full(n, -1)
        row_of[rows] = np.arange(len(rows))
        bg = st["ring"][np.ix_(slots, rows)].astype(np.int64)  # (age, row)
        cells = [row_of[st["chunks"][sl][0]] for sl in slots]
        ml = np.stack([np.bincount(r[r >= 0], minlength=len(rows)) for r in cells])
        total = bg + ml
        take = np.clip(spare[has] - (np.cumsum(total, axis=0) - total), 0, total)
        m_take = rng.hypergeometric(ml, bg, take)
        st["ring"][np.ix_(slots, rows)] -= (take - m_take).astype(np.int32)
        got_p, got_q = [], []
        for a, sl in enumerate(slots):
            if not m_take[a].any():
                continue
            ok = np.flatnonzero(cells[a] >= 0)
            got = ok[pick(cells[a][ok], m_take[a], rng)]
            person, post = st["chunks"][sl]
            got_p.append(person[got]), got_q.append(post[got])
            keep = np.ones(len(person), bool)
            keep[got] = False
            st["chunks"][sl] = (person[keep], post[keep])
        return got_p, got_q

    def tick(now):
        slot = now % ttl
        st["ring"][slot] = 0
        st["chunks"][slot] = none  # entries of tick now - ttl age out
        readers = np.flatnonzero(attention > 0)
        row_of = np.full(n, -1)
        row_of[readers] = np.arange(len(readers))
        budget = stochastic_round(attention[readers], rng)
        bg_new = rng.poisson(s.stream.background_items_per_tick, len(readers))
        sp, author, first = st["prev"]
        starts, lens = indptr[sp], indptr[sp + 1] - indptr[sp]
        person = members[np.arange(lens.sum()) + np.repeat(starts - (np.cumsum(lens) - lens), lens)]
        post = np.repeat(np.arange(first, first + len(sp), dtype=np.int64), lens)
        keep = (row_of[person] >= 0) & (person != np.repeat(author, lens))
        person, post = person[keep], post[keep]
        row = row_of[person]
        m_new = np.bincount(row, minlength=len(readers))
        take = np.minimum(budget, m_new + bg_new)
        m_take = rng.hypergeometric(m_new, bg_new, take)
        fresh = pick(row, m_take, rng)
        st["ring"][slot, readers] = (bg_new - (take - m_take)).astype(np.int32)
        old_p, old_q = read_older(now, readers, budget - take)
        st["chunks"][slot] = (person[~fresh], post[~fresh])
        got = np.concatenate([person[fresh], *old_p]), np.concatenate([post[fresh], *old_q])
        st["prev"] = (*load[now], st["next"])
        st["next"] += len(load[now][0])
        return len(got[0])
    return tick


# ---------------------------------------------------------------------------------------- 6. full model
def scaled_scenario(path: Path, n: int, ticks: int):
    """A shipped scenario (8 departments of 100, 40 partners, 200 customers) scaled to about n people."""
    f = n / 1045
    return load_scenario(path, overrides=[f"organisation.people_per_department={max(2, round(100 * f))}",
                                          f"organisation.partners={max(1, round(40 * f))}",
                                          f"organisation.customers={max(1, round(200 * f))}", f"ticks={ticks}"])


def full_model_setup(s, info: dict):
    """OrgModel.step() (adoption, knowledge, decisions, both channels, recording)."""
    model = OrgModel(s, SEED)
    info["people"] = model.org.n

    def tick(now):
        model.step()
        return model.email.tick_read + model.stream.tick_reads
    return tick


# ---------------------------------------------------------------------------------------- driver
def bench_size(n: int, ticks: int) -> dict:
    s = bench_scenario(n)
    org = build_organisation(s, np.random.default_rng(SEED))
    total = WARMUP + ticks
    res = {"n": org.n, "ties_per_person": float(org.degree.mean()), "build": bench_build(s)}
    log(f"[{n}] build done: {res['build']}")
    mail = email_load(org, total, np.random.default_rng(SEED + 1))
    res["email"] = {"sends_per_tick": float(np.mean([len(x[0]) for x in mail])),
                    "channel": run_ticks(lambda: email_channel_setup(org, s, mail), WARMUP, ticks),
                    "kernel": run_ticks(lambda: email_kernel_setup(org, s, mail), WARMUP, ticks)}
    if n <= MESA_MAX:
        res["email"]["mesa"] = run_ticks(lambda: mesa_setup(org, s, mail), WARMUP, ticks)
    log(f"[{n}] email done")
    spaces = build_spaces(org, s.stream, np.random.default_rng(SEED))
    posts = stream_load(spaces, org.n, total, np.random.default_rng(SEED + 2))
    sizes = spaces.size()
    res["stream"] = {"posts_per_tick": len(posts[0][0]), "entries_per_tick": float(np.mean([(sizes[p] - 1).sum() for p, _ in posts])),
                     "channel": run_ticks(lambda: stream_channel_setup(org, spaces, s, posts), WARMUP, ticks),
                     "kernel": run_ticks(lambda: stream_kernel_setup(org, spaces, s, posts), WARMUP, ticks)}
    log(f"[{n}] stream done")
    res["model"] = {}
    for name in ("social_business", "email_gatekept"):
        sc = scaled_scenario(ROOT / "scenarios" / f"{name}.toml", n, total)
        info = {}
        r = run_ticks(lambda: full_model_setup(sc, info), WARMUP, ticks)
        r.update(people=info["people"], s_per_2000_ticks=2.0 * r["ms_per_tick"])
        res["model"][name] = r
        log(f"[{n}] model {name} done")
    return res


def fmt_ms(r: dict) -> str:
    return f"{r['ms_per_tick']:.2f}" + ("*" if r["partial"] else "")


def report(results: dict, ticks: int) -> None:
    print(f"\nTimes are means over {ticks} ticks after {WARMUP} warm-up ticks.  'peak' = tracemalloc peak (MiB) of the section's"
          "\nstate build + warm-up (Python heap + numpy buffers), excluding the shared organisation.  * = stopped early at the"
          f" {BUDGET_S:.0f} s budget.")
    print("\n1. Build (bench scenario: 8 departments, ~10 ties/person)")
    print(f"{'size':>8} {'people':>8} {'ties/p':>7} {'build_org s':>12} {'OrgModel s':>11} {'org MiB':>8} {'model MiB':>10}")
    for size, r in results.items():
        b = r["build"]
        print(f"{size:>8} {r['n']:>8} {r['ties_per_person']:>7.1f} {b['organisation_s']:>12.3f} {b['model_s']:>11.3f} {b['organisation_mib']:>8.1f} {b['model_mib']:>10.1f}")
    print(f"\n2/4/5. Email: {SEND_SHARE:.0%} of people mail one random tie per tick; direct routing, no gatekeepers, capacity 12, background 0.75")
    print(f"{'size':>8} {'sent/t':>7} {'chan ms/t':>10} {'read/t':>7} {'reads/s':>10} {'kern ms/t':>10} {'chan/kern':>9} "
          f"{'mesa ms/t':>10} {'mesa read/t':>11} {'speed-up':>9} {'peak MiB chan/kern/mesa':>24}")
    for size, r in results.items():
        e = r["email"]
        c, k, m = e["channel"], e["kernel"], e.get("mesa")
        mesa_cols = f"{fmt_ms(m):>10} {m['reads_per_tick']:>11.0f} {m['ms_per_tick'] / c['ms_per_tick']:>8.0f}x" if m else f"{'-':>10} {'-':>11} {'-':>9}"
        peaks = f"{c['peak_mib']:.1f}/{k['peak_mib']:.1f}/" + (f"{m['peak_mib']:.1f}" if m else "-")
        print(f"{size:>8} {e['sends_per_tick']:>7.0f} {fmt_ms(c):>10} {c['reads_per_tick']:>7.0f} {c['reads_per_s']:>10.3g} {fmt_ms(k):>10} "
              f"{c['ms_per_tick'] / k['ms_per_tick']:>9.2f} {mesa_cols} {peaks:>24}")
    print("\n3/4. Stream: everyone a user (attention 4), background 6/tick, n/1000 posts per tick to company/department spaces")
    print(f"{'size':>8} {'posts/t':>8} {'entries/t':>10} {'chan ms/t':>10} {'read/t':>8} {'reads/s':>10} {'kern ms/t':>10} {'kern read/t':>11} "
          f"{'chan/kern':>9} {'peak MiB chan/kern':>19}")
    for size, r in results.items():
        st = r["stream"]
        c, k = st["channel"], st["kernel"]
        peaks = f"{c['peak_mib']:.1f}/{k['peak_mib']:.1f}"
        print(f"{size:>8} {st['posts_per_tick']:>8} {st['entries_per_tick']:>10.3g} {fmt_ms(c):>10} {c['reads_per_tick']:>8.0f} {c['reads_per_s']:>10.3g} "
              f"{fmt_ms(k):>10} {k['reads_per_tick']:>11.0f} {c['ms_per_tick'] / k['ms_per_tick']:>9.2f} {peaks:>19}")
    print("\n6. Full model, OrgModel.step() on shipped scenarios scaled to the size (2000-tick time extrapolated)")
    print(f"{'size':>8} {'scenario':>16} {'people':>8} {'ms/tick':>8} {'s/2000 ticks':>13} {'reads/t':>8} {'peak MiB':>9}")
    for size, r in results.items():
        for name, m in r["model"].items():
            print(f"{size:>8} {name:>16} {m['people']:>8} {fmt_ms(m):>8} {m['s_per_2000_ticks']:>13.2f} {m['reads_per_tick']:>8.0f} {m['peak_mib']:>9.1f}")
    print(f"\n7. Process peak RSS (ru_maxrss, whole run): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print("Targets: chan/kern <= 1.5; Mesa speed-up >= 100x at 10,000; 2,000 ticks at 10,000 people <= 10 s.")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="organisation sizes, comma-separated")
    ap.add_argument("--ticks", type=int, default=200, help="timed ticks per measurement (after %d warm-up ticks)" % WARMUP)
    ap.add_argument("--quick", action="store_true", help="sizes 1000,10000 and 50 ticks (under a minute)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    sizes = [1000, 10000] if args.quick else [int(x) for x in args.sizes.split(",")]
    ticks = 50 if args.quick else args.ticks
    print(f"bench_channels: python {platform.python_version()}, numpy {np.__version__}, mesa {mesa.__version__}, "
          f"{platform.machine()}, sizes {sizes}, ticks {ticks}")
    t0 = time.perf_counter()
    results = {n: bench_size(n, ticks) for n in sizes}
    report(results, ticks)
    print(f"Total wall time {time.perf_counter() - t0:.0f} s")
    if args.json:
        meta = {"python": platform.python_version(), "numpy": np.__version__, "mesa": mesa.__version__, "ticks": ticks,
                "warmup": WARMUP, "seed": SEED, "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        Path(args.json).write_text(json.dumps({"meta": meta, "sizes": {str(k): v for k, v in results.items()}}, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
