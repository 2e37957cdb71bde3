"""Benchmark of the vectorised channels in ``sim.channels``: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_channels.py [--sizes 1000,10000,100000] [--ticks 200] [--quick] [--json PATH]

Per size: (1) build time; (2) EmailChannel and (3) StreamChannel alone under a fixed synthetic load;
(4) plain-numpy kernels of the same semantics as lower bounds; (5) an idiomatic per-agent Mesa email
model (sizes <= 10,000); (6) OrgModel on two shipped scenarios scaled to the size; (7) memory as the
tracemalloc peak while a section builds its state and runs its warm-up (the timed ticks run untraced),
plus the process-wide ru_maxrss.  Randomness: seeded numpy Generators (Mesa's own shuffle uses the
model's seeded ``random.Random``).  See benchmarks/README.md.
"""

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


def bench_scenario(n: int):
    """About n people: 90 % staff in 8 departments (~10 ties each), the rest partners and customers."""
    ppd = max(2, n * 9 // 80)
    partners = max(1, n // 50)
    customers = max(1, n - 8 * ppd - 1 - partners)
    return load_scenario_text(f"""name = "bench-{n}"
organisation = {{departments = {json.dumps(DEPARTMENTS)}, people_per_department = {ppd}, ties_within_department = 10, partners = {partners}, customers = {customers}}}
email = {{routing = "direct", background_share = 0.75, reading_capacity_per_tick = 12.0}}
stream = {{enabled = true, attention_items_per_tick = 4.0, background_items_per_tick = 6.0, communities = 0}}
""")


def run_ticks(label: str, setup, warmup: int, ticks: int) -> dict:
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
    print(f"  {label}: {1e3 * sec / done:.3g} ms/tick over {done} ticks", file=sys.stderr, flush=True)
    return {"ms_per_tick": 1e3 * sec / done, "reads_per_tick": reads / done, "reads_per_s": reads / sec,
            "peak_mib": peak, "ticks_timed": done, "partial": done < ticks}


# ---------------------------------------------------------------------------------------- 1. build
def seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_build(s) -> dict:
    """Seconds for build_organisation and for a whole OrgModel (organisation + one Mesa agent per person,
    channels, spaces): best of 3 runs; tracemalloc peak (MiB) of each from a 4th, traced, run."""
    out = {}
    for name, make in (("organisation", lambda: build_organisation(s, np.random.default_rng(SEED))), ("model", lambda: OrgModel(s, SEED))):
        out[f"{name}_s"] = min(seconds(make) for _ in range(3))
        tracemalloc.start()
        make()
        out[f"{name}_mib"] = tracemalloc.get_traced_memory()[1] / MiB
        tracemalloc.stop()
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
        slots = m.rng.binomial(m.cap_floor + (m.rng.random() < m.cap_frac), m.p_model)  # stochastic rounding
        while slots and inbox and inbox[0][0] <= now:
            _, origin, payload = inbox.popleft()
            m.delivered.append((self.index, origin, payload))
            slots -= 1


class MailModel(mesa.Model):
    """Idiomatic Mesa email model: the tick's load is handed to the senders, then ``shuffle_do("step")``."""

    def __init__(self, n: int, email_cfg, load, seed: int):
        super().__init__(rng=seed)
        cap = email_cfg.reading_capacity_per_tick
        self.cap_floor, self.cap_frac, self.p_model = int(cap), cap - int(cap), 1.0 - email_cfg.background_share
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
    """MailModel.step() with the same load and capacities as the channel."""
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


def segments(start, lens):
    """Indices of the concatenated ranges [start[i], start[i] + lens[i])."""
    return np.arange(lens.sum()) + np.repeat(start - (np.cumsum(lens) - lens), lens)


def stream_kernel_setup(org, spaces, s, load):
    """Lower bound, same semantics as StreamChannel (newest hour first; of each hour's batch a reader
    takes min(attention left, batch) items, the modelled share hypergeometric, those entries at random).
    Last tick's posts are expanded to followers via CSR and sorted once by (person, random key); the
    unread rest of the hour is kept as one person-major chunk with a read pointer per person, in a ring
    of feed_ttl chunks, so ageing out drops a chunk and older reads take the next k entries of a person."""
    n, ttl, rng = org.n, s.stream.feed_ttl_ticks, np.random.default_rng(SEED)
    attention = np.full(n, s.stream.attention_items_per_tick)
    indptr, members = spaces.members_indptr, spaces.members_indices
    empty = (np.zeros(n + 1, np.int64), np.empty(0, np.int64), np.zeros(n, np.int64))  # indptr, posts, read pointer
    st = {"ring": np.zeros((ttl, n), np.int32), "chunks": [empty] * ttl, "prev": (np.empty(0, np.int32), np.empty(0, np.int32), 0), "next": 0}

    def read_older(now, spare):
        rows = np.flatnonzero(spare > 0)
        if ttl == 1 or len(rows) == 0:
            return []
        slots = (now - np.arange(1, ttl)) % ttl  # ages 1 .. ttl-1, newest first
        chunks = [st["chunks"][sl] for sl in slots]
        bg = st["ring"][np.ix_(slots, rows)].astype(np.int64)
        ml = np.stack([c[0][rows + 1] - c[0][rows] - c[2][rows] for c in chunks])
        total = bg + ml
        take = np.clip(spare[rows] - (np.cumsum(total, axis=0) - total), 0, total)
        m_take = rng.hypergeometric(ml, bg, take)
        st["ring"][np.ix_(slots, rows)] -= (take - m_take).astype(np.int32)
        got = []
        for (ptr, posts, pos), k in zip(chunks, m_take):
            if k.any():
                got.append((np.repeat(rows, k), posts[segments(ptr[rows] + pos[rows], k)]))
                pos[rows] += k
        return got

    def tick(now):
        slot = now % ttl
        reading = attention > 0
        budget, bg_new = np.zeros(n, np.int64), np.zeros(n, np.int64)
        budget[reading] = stochastic_round(attention[reading], rng)
        bg_new[reading] = rng.poisson(s.stream.background_items_per_tick, reading.sum())
        sp, author, first = st["prev"]
        lens = indptr[sp + 1] - indptr[sp]
        person = members[segments(indptr[sp], lens)]
        post = np.repeat(np.arange(first, first + len(sp), dtype=np.int64), lens)
        keep = reading[person] & (person != np.repeat(author, lens))
        person, post = person[keep], post[keep]
        m_new = np.bincount(person, minlength=n)
        take = np.minimum(budget, m_new + bg_new)
        m_take = rng.hypergeometric(m_new, bg_new, take)
        post = post[np.argsort(person + rng.random(len(person)))]  # person-major, random within person
        read = np.arange(len(post)) - np.repeat(np.cumsum(m_new) - m_new, m_new) < np.repeat(m_take, m_new)
        st["ring"][slot] = bg_new - (take - m_take)
        got = [(np.repeat(np.arange(n), m_take), post[read]), *read_older(now, budget - take)]
        st["chunks"][slot] = (np.r_[0, np.cumsum(m_new - m_take)], post[~read], np.zeros(n, np.int64))
        st["prev"] = (*load[now], st["next"])
        st["next"] += len(load[now][0])
        return sum(len(q) for _, q in got)
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
    mail = email_load(org, total, np.random.default_rng(SEED + 1))
    res["email"] = {"sends_per_tick": float(np.mean([len(x[0]) for x in mail])),
                    "channel": run_ticks(f"{n} email channel", lambda: email_channel_setup(org, s, mail), WARMUP, ticks),
                    "kernel": run_ticks(f"{n} email kernel", lambda: email_kernel_setup(org, s, mail), WARMUP, ticks)}
    if n <= MESA_MAX:
        res["email"]["mesa"] = run_ticks(f"{n} email mesa", lambda: mesa_setup(org, s, mail), WARMUP, ticks)
    spaces = build_spaces(org, s.stream, np.random.default_rng(SEED))
    posts = stream_load(spaces, org.n, total, np.random.default_rng(SEED + 2))
    sizes = spaces.size()
    res["stream"] = {"posts_per_tick": len(posts[0][0]), "entries_per_tick": float(np.mean([(sizes[p] - 1).sum() for p, _ in posts])),
                     "channel": run_ticks(f"{n} stream channel", lambda: stream_channel_setup(org, spaces, s, posts), WARMUP, ticks),
                     "kernel": run_ticks(f"{n} stream kernel", lambda: stream_kernel_setup(org, spaces, s, posts), WARMUP, ticks)}
    e, st = res["email"], res["stream"]
    e["chan_over_kernel"] = e["channel"]["ms_per_tick"] / e["kernel"]["ms_per_tick"]
    e["mesa_over_chan"] = e["mesa"]["ms_per_tick"] / e["channel"]["ms_per_tick"] if "mesa" in e else None
    st["chan_over_kernel"] = st["channel"]["ms_per_tick"] / st["kernel"]["ms_per_tick"]
    res["model"] = {}
    for name in ("social_business", "email_gatekept"):
        sc = scaled_scenario(ROOT / "scenarios" / f"{name}.toml", n, total)
        info = {}
        r = run_ticks(f"{n} {name}", lambda: full_model_setup(sc, info), WARMUP, ticks)
        r.update(people=info["people"], s_per_2000_ticks=2.0 * r["ms_per_tick"])
        res["model"][name] = r
    return res


def table(title: str, cols: list[str], rows: list[list[str]]) -> None:
    """Print formatted cells right-aligned under their column names."""
    w = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    print(f"\n{title}")
    for r in [cols, *rows]:
        print("  ".join(x.rjust(wi) for x, wi in zip(r, w)))


def ms(r: dict | None) -> str:
    return "-" if r is None else f"{r['ms_per_tick']:.3g}" + (f"*{r['ticks_timed']}" if r["partial"] else "")


def report(results: dict, ticks: int) -> None:
    print(f"\nms/t = wall-clock milliseconds per tick, mean over {ticks} timed ticks after {WARMUP} warm-up ticks "
          f"(*k: stopped after k ticks at the {BUDGET_S:.0f} s budget).\nMiB = tracemalloc peak while the section built its "
          "state and ran its warm-up (Python objects + numpy buffers; the shared organisation excluded).")
    table("1. Build, bench organisation (best of 3; MiB from a 4th, traced, run)",
          ["size", "people", "ties/p", "build_org s", "OrgModel s", "org MiB", "OrgModel MiB"],
          [[str(n), str(r["n"]), f"{r['ties_per_person']:.1f}", f"{r['build']['organisation_s']:.3f}", f"{r['build']['model_s']:.3f}",
            f"{r['build']['organisation_mib']:.1f}", f"{r['build']['model_mib']:.1f}"] for n, r in results.items()])
    rows = []
    for n, r in results.items():
        e, st = r["email"], r["stream"]
        c, k, m = e["channel"], e["kernel"], e.get("mesa")
        rows.append([str(n), f"{e['sends_per_tick']:.0f}", ms(c), f"{c['reads_per_tick']:.0f}", f"{c['reads_per_s']:.3g}", ms(k),
                     f"{e['chan_over_kernel']:.2f}", ms(m), "-" if m is None else f"{m['reads_per_tick']:.0f}",
                     "-" if m is None else f"{e['mesa_over_chan']:.0f}x",
                     f"{c['peak_mib']:.1f}/{k['peak_mib']:.1f}/" + ("-" if m is None else f"{m['peak_mib']:.1f}")])
    table(f"2/4/5. Email alone: {SEND_SHARE:.0%} of people mail one random tie per tick; direct, no gatekeepers, capacity 12, background 0.75",
          ["size", "sent/t", "chan ms/t", "read/t", "reads/s", "kernel ms/t", "chan/kernel", "mesa ms/t", "mesa read/t", "mesa/chan",
           "MiB chan/kernel/mesa"], rows)
    rows = []
    for n, r in results.items():
        st = r["stream"]
        c, k = st["channel"], st["kernel"]
        rows.append([str(n), str(st["posts_per_tick"]), f"{st['entries_per_tick']:.3g}", f"{st['entries_per_tick'] / r['n']:.2f}", ms(c),
                     f"{c['reads_per_tick']:.0f}", f"{c['reads_per_s']:.3g}", ms(k), f"{k['reads_per_tick']:.0f}",
                     f"{st['chan_over_kernel']:.2f}", f"{c['peak_mib']:.1f}/{k['peak_mib']:.1f}"])
    table("3/4. Stream alone: everyone reads (attention 4), background 6/tick, size/1000 posts per tick to company/department spaces",
          ["size", "posts/t", "entries/t", "entries/p/t", "chan ms/t", "read/t", "reads/s", "kernel ms/t", "kernel read/t", "chan/kernel",
           "MiB chan/kernel"], rows)
    table("6. Full model: OrgModel.step() on shipped scenarios scaled to the size; 2,000 ticks extrapolated from ms/t",
          ["size", "scenario", "people", "ms/t", "s per 2000 t", "read/t", "MiB"],
          [[str(n), name, str(m["people"]), ms(m), f"{m['s_per_2000_ticks']:.1f}", f"{m['reads_per_tick']:.0f}", f"{m['peak_mib']:.1f}"]
           for n, r in results.items() for name, m in r["model"].items()])
    print(f"\n7. Memory: per-section tracemalloc peaks above; process peak RSS (ru_maxrss, whole run) "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print("\nTargets (reported, not asserted): channel/kernel <= 1.5; Mesa/channel >= 100x at 10,000; 2,000 ticks at 10,000 <= 10 s")
    for n, r in results.items():
        print(f"  {n:>7}: channel/kernel email {r['email']['chan_over_kernel']:.2f}, stream {r['stream']['chan_over_kernel']:.2f}"
              + (f"; Mesa/channel {r['email']['mesa_over_chan']:.0f}x" if r["email"]["mesa_over_chan"] else "")
              + "; 2,000 ticks: " + ", ".join(f"{k} {m['s_per_2000_ticks']:.1f} s" for k, m in r["model"].items()))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="organisation sizes, comma-separated")
    ap.add_argument("--ticks", type=int, default=200, help="timed ticks per measurement (after %d warm-up ticks)" % WARMUP)
    ap.add_argument("--quick", action="store_true", help="sizes 1000,10000 and 100 ticks (under a minute)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    sizes = [1000, 10000] if args.quick else [int(x) for x in args.sizes.split(",")]
    ticks = min(args.ticks, 100) if args.quick else args.ticks
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
