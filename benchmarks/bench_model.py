"""Benchmark of the model core (``sim.attention`` and ``OrgModel.step``): prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_model.py [--sizes 1000,10000,100000] [--ticks 100] [--quick] [--json PATH] [--scaling up|out]

Per size: (1) building ``OrgModel`` for two shipped scenarios scaled to the size; (2) ``Attention``
alone under the default background load plus tracked entries; (3) two plain-numpy kernels of the same
reading rule under the same load (a dense one, and a lean one that skips whole levels as Attention
does), and the ratio of Attention's time to each; (4) ``OrgModel.step()``
on the two scenarios, with the run time extrapolated; (5) memory: peak resident set size and a
tracemalloc peak of building and warming one model.  Tables go to stdout, progress to stderr.
Randomness: seeded numpy Generators, so two runs do the same work.  See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sim.attention import Attention  # noqa: E402
from sim.messages import CHANNEL, LEVEL, LEVELS, READER, READY, SENT, new_rows, stochastic_round  # noqa: E402
from sim.model import OrgModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

SEED = 20240501
WARMUP = 20  # ticks run before timing
BUDGET_S = 180.0  # a timed loop stops after this many seconds (reported as partial)
BIG = 100_000  # from this size on: build timed once, run length extrapolated to 500 ticks
SCENARIOS = ("email_gatekept", "social_business")
BASE_PEOPLE = 1041  # people in the shipped scenarios: 8 x 100 staff, 40 partners, 200 customers, CEO (+ gatekeepers)
MiB = 2**20

# Section 2/3 load: the scenario defaults ([load], [attention], [email], [stream])
RECEIVED_PER_TICK = 11.0  # load.received_per_tick
LEVEL_SHARES = (0.25, 0.35, 0.40)  # load.level_shares
STREAM_SHARE = 0.3  # load.stream_share, for stream users
USER_SHARE = 0.5  # share of people on the stream
AVAILABLE_SHARE = 0.75  # attention.available_share
ITEMS_PER_TICK = 20.0  # attention.reading_minutes_per_tick / read_minutes_per_item
TTL = (40, 40)  # email.expire_after_ticks, stream.feed_ttl_ticks
TRACKED_SHARE = 0.1  # tracked entries per tick = size / 10
LOAD_POOL = 50  # distinct ticks of pre-drawn load, cycled (bounds the memory the load takes at 100,000)


def revision() -> str:
    """The commit measured, ``-dirty`` when the working tree differs from it."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def rss_mib() -> float:
    """Peak resident set size (ru_maxrss) since the last :func:`reset_peak`, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0, /proc/self/clear_refs); False where not allowed."""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


SCALINGS = ("up", "out")


def scaled_scenario(name: str, n: int, run_ticks: int, scaling: str = "up"):
    """A shipped scenario (8 departments of 100, 40 partners, 200 customers) scaled to about n people.

    ``up``: the same 8 departments and communities, each made bigger (people per department, and a
    community's share of the organisation, stay proportional).  ``out``: more of them, each the
    shipped size: round(8 f) departments of 100 (the shipped 8 plus ``unit<i>``), round(c f)
    communities for the scenario's c, each person joining each with chance share / f, so that a
    community still has about share x 1,000 members and a person is in as many communities as at the
    shipped size.  Partners and customers scale by f either way."""
    f = n / BASE_PEOPLE
    path = ROOT / "scenarios" / f"{name}.toml"
    common = [f"organisation.partners={max(1, round(40 * f))}", f"organisation.customers={max(1, round(200 * f))}", f"ticks={run_ticks}"]
    if scaling == "up":
        return load_scenario(path, overrides=[f"organisation.people_per_department={max(2, round(100 * f))}", *common])
    base = load_scenario(path)
    names = list(base.organisation.departments)
    names += [f"unit{i}" for i in range(max(0, round(len(names) * f) - len(names)))]
    out = ["organisation.departments=[" + ",".join(f'"{d}"' for d in names) + "]", *common]
    c = base.stream.communities
    if c:
        out += [f"stream.communities={max(1, round(c * f))}", f"stream.community_membership_share={min(1.0, base.stream.community_membership_share / f)}"]
    return load_scenario(path, overrides=out)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------- 1. build
def bench_build(scenarios: dict, n: int) -> dict:
    """Seconds for ``OrgModel(scenario)``: best of 3 (a single build from BIG people on)."""
    out = {}
    for name, s in scenarios.items():
        times, people = [], None
        for _ in range(1 if n >= BIG else 3):
            t0 = time.perf_counter()
            m = OrgModel(s, SEED)
            times.append(time.perf_counter() - t0)
            people = m.org.n
            del m
            gc.collect()
        out[name] = {"people": people, "build_s": min(times), "builds": len(times)}
        log(f"  {n} build {name}: {min(times):.3f} s")
    return out


# ---------------------------------------------------------------------------------------- 2/3. attention and kernel
def draw_load(n: int, ticks: int, rng: np.random.Generator) -> dict:
    """Per tick: background counts (channel, level, person) as ``OrgModel._background`` draws them,
    tracked entry rows (n/10, random readers, level 0, random channel) and budgets as
    ``OrgModel._budgets`` draws them.  At most LOAD_POOL distinct ticks, cycled."""
    users = rng.permutation(n) < int(USER_SHARE * n)
    stream_rate = np.where(users, RECEIVED_PER_TICK * STREAM_SHARE, 0.0)
    mail_rate = np.where(users, RECEIVED_PER_TICK * (1 - STREAM_SHARE), RECEIVED_PER_TICK)
    shares = np.asarray(LEVEL_SHARES) / sum(LEVEL_SHARES)
    m = int(TRACKED_SHARE * n)
    bg, rows, budgets = [], [], []
    for t in range(min(ticks, LOAD_POOL)):
        counts = np.zeros((2, LEVELS, n), np.int64)
        for lv in range(LEVELS):
            counts[0, lv] = rng.poisson(mail_rate * shares[lv])
            counts[1, lv] = rng.poisson(stream_rate * shares[lv])
        bg.append(counts)
        r = new_rows(m)
        r[:, READER] = rng.integers(0, n, m)
        r[:, CHANNEL] = rng.integers(0, 2, m)
        r[:, LEVEL] = 0
        rows.append(r)
        at_desk = rng.random(n) < AVAILABLE_SHARE
        budgets.append(np.where(at_desk, stochastic_round(np.full(n, ITEMS_PER_TICK), rng), 0))
    return {"background": bg, "rows": rows, "budget": budgets, "tracked_per_tick": m,
            "background_per_tick": float(np.mean([b.sum() for b in bg]))}


def attention_setup(n: int, load: dict, horizon: int):
    att = Attention(n, TTL, np.random.default_rng(SEED), background=True, horizon=horizon)
    P = len(load["rows"])

    def tick(now: int) -> int:
        rows = load["rows"][now % P]
        rows[:, SENT], rows[:, READY] = now, now + 1  # in place: Attention copies rows when it queues them
        att.add(rows)
        read = att.step(now, load["budget"][now % P], load["background"][now % P])
        return int(read.per_channel.sum())
    return tick, att


def kernel_setup(n: int, load: dict, horizon: int):
    """The reading rule as the simplest plain numpy: dense counts q[person, level, arrival slot] of
    everything (tracked and background, both channels), the slot about to be reused emptied (every
    channel has the same time-to-live here), this tick's arrivals added, then one cumulative sum per
    person in reading order (level by level, newest first) clipped to the budget.  No rows are
    returned, no split between tracked and background, no per-channel counts."""
    slots = max(1, min(max(TTL), horizon + 1))
    q = np.zeros((n, LEVELS, slots), np.int32)
    P = len(load["rows"])
    pending = [None]

    def tick(now: int) -> int:
        s = now % slots
        q[:, :, s] = load["background"][now % P].sum(axis=0).T  # expired entries overwritten
        if pending[0] is not None:  # tracked entries ready now (written last tick)
            q[:, :, s] += np.bincount(pending[0][:, READER] * LEVELS + pending[0][:, LEVEL], minlength=n * LEVELS).reshape(n, LEVELS).astype(np.int32)
        pending[0] = load["rows"][now % P]
        age = (now - np.arange(slots)) % slots
        cells = q[:, :, age].reshape(n, LEVELS * slots)  # reading order
        before = np.cumsum(cells, axis=1, dtype=np.int32) - cells
        take = np.clip(load["budget"][now % P].astype(np.int32)[:, None] - before, 0, cells)
        q[:, :, age] = (cells - take).reshape(n, LEVELS, slots)
        return int(take.sum())
    return tick


def lean_kernel_setup(n: int, load: dict, horizon: int):
    """The same reading rule, plain numpy, with the one shortcut the Attention class takes: level
    totals kept alongside the counts, levels a budget covers emptied whole, and the newest-first
    cumulative sum done only in the level where the budget runs out.  Still no rows, no split, no
    per-channel counts: the lower bound for an implementation that skips whole levels."""
    slots = max(1, min(max(TTL), horizon + 1))
    q = np.zeros((n, LEVELS, slots), np.int32)
    lt = np.zeros((n, LEVELS), np.int64)  # per (person, level): everything queued
    P = len(load["rows"])
    pending = [None]

    def tick(now: int) -> int:
        s = now % slots
        lt[:] -= q[:, :, s]  # expired
        arrivals = load["background"][now % P].sum(axis=0).T
        if pending[0] is not None:
            arrivals = arrivals + np.bincount(pending[0][:, READER] * LEVELS + pending[0][:, LEVEL], minlength=n * LEVELS).reshape(n, LEVELS)
        pending[0] = load["rows"][now % P]
        q[:, :, s] = arrivals
        lt[:] += arrivals
        budget = load["budget"][now % P]
        left = np.clip(budget[:, None] - (np.cumsum(lt, axis=1) - lt), 0, None)
        whole = (left >= lt) & (lt > 0)
        read = int(lt[whole].sum())
        for lvl in range(LEVELS):
            q[whole[:, lvl], lvl] = 0
        lt[whole] = 0
        r, lv = np.nonzero((left < lt) & (left > 0))
        age = (now - np.arange(slots)) % slots
        cells = q[r, lv][:, age]
        take = np.clip(left[r, lv][:, None] - (np.cumsum(cells, axis=1) - cells), 0, cells)
        q[r[:, None], lv[:, None], age[None, :]] = cells - take
        got = take.sum(axis=1)
        lt[r, lv] -= got
        return read + int(got.sum())
    return tick


def run_loop(label: str, tick, warmup: int, ticks: int, t_start: int = 0) -> dict:
    """``warmup`` ticks, then up to ``ticks`` timed ticks (stopping after BUDGET_S s)."""
    for now in range(t_start, t_start + warmup):
        tick(now)
    reads, done, t0 = 0, 0, time.perf_counter()
    for now in range(t_start + warmup, t_start + warmup + ticks):
        reads += tick(now)
        done += 1
        if time.perf_counter() - t0 > BUDGET_S:
            break
    sec = time.perf_counter() - t0
    log(f"  {label}: {1e3 * sec / done:.3g} ms/tick over {done} ticks")
    return {"ms_per_tick": 1e3 * sec / done, "reads_per_tick": reads / done, "reads_per_s": reads / sec,
            "ticks_timed": done, "partial": done < ticks}


def bench_attention(n: int, ticks: int, horizon: int) -> dict:
    total = WARMUP + ticks
    load = draw_load(n, total, np.random.default_rng(SEED + 1))
    tick, att = attention_setup(n, load, horizon)
    a = run_loop(f"{n} attention", tick, WARMUP, ticks)
    a["queued_per_person"] = float(att.queued.mean())
    a["expired_per_tick"] = float(att.expired.sum() + att.expired_background.sum()) / total
    del att, tick
    gc.collect()
    k = run_loop(f"{n} dense kernel", kernel_setup(n, load, horizon), WARMUP, ticks)
    lean = run_loop(f"{n} lean kernel", lean_kernel_setup(n, load, horizon), WARMUP, ticks)
    return {"tracked_per_tick": load["tracked_per_tick"], "background_per_tick": load["background_per_tick"],
            "attention": a, "kernel": k, "lean_kernel": lean, "ratio": a["ms_per_tick"] / k["ms_per_tick"],
            "lean_ratio": a["ms_per_tick"] / lean["ms_per_tick"],
            "reads_diff": a["reads_per_tick"] / k["reads_per_tick"] - 1 if k["reads_per_tick"] else None,
            "lean_reads_diff": a["reads_per_tick"] / lean["reads_per_tick"] - 1 if lean["reads_per_tick"] else None}


# ---------------------------------------------------------------------------------------- 4. full model
def bench_model(name: str, s, n: int, ticks: int, run_ticks: int) -> dict:
    reset_peak()
    model = OrgModel(s, SEED)

    tracked = []

    def tick(now):
        model.step()
        tracked.append(len(model.last_read.rows))
        return int(model.last_read.per_channel.sum())
    r = run_loop(f"{n} {name}", tick, WARMUP, ticks)
    r["tracked_reads_per_tick"] = float(np.mean(tracked[WARMUP:]))
    r["people"] = model.org.n
    r["run_ticks"] = run_ticks
    r["run_s"] = r["ms_per_tick"] * run_ticks / 1e3
    r["peak_rss_mib"] = rss_mib()
    del model
    gc.collect()
    return r


# ---------------------------------------------------------------------------------------- 5. memory
def traced_build(name: str, s, n: int) -> dict:
    """tracemalloc peak (MiB) while building the model and running its warm-up ticks."""
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    model = OrgModel(s, SEED)
    for _ in range(WARMUP):
        model.step()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    log(f"  {n} tracemalloc {name}: peak {peak / MiB:.0f} MiB ({time.perf_counter() - t0:.0f} s traced)")
    del model
    gc.collect()
    return {"peak_mib": peak / MiB, "held_mib": current / MiB}


# ---------------------------------------------------------------------------------------- driver
def bench_size(n: int, ticks: int, scaling: str = "up") -> dict:
    resettable = reset_peak()
    run_ticks = 500 if n >= BIG else 2000
    scen = {name: scaled_scenario(name, n, run_ticks, scaling) for name in SCENARIOS}
    res = {"run_ticks": run_ticks, "build": bench_build(scen, n)}
    res["attention"] = bench_attention(n, ticks, run_ticks)
    res["model"] = {name: bench_model(name, s, n, ticks, run_ticks) for name, s in scen.items()}
    traced = "social_business"
    res["tracemalloc"] = {traced: traced_build(traced, scen[traced], n)}
    res["peak_rss_mib"] = rss_mib()
    res["rss_reset"] = resettable
    return res


def table(title: str, cols: list[str], rows: list[list[str]]) -> None:
    w = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    print(f"\n{title}")
    for r in [cols, *rows]:
        print("  ".join(x.rjust(wi) for x, wi in zip(r, w)))


def ms(r: dict) -> str:
    return f"{r['ms_per_tick']:.3g}" + (f"*{r['ticks_timed']}" if r["partial"] else "")


def report(results: dict, ticks: int) -> None:
    print(f"\nms/t = wall-clock milliseconds per tick, mean over {ticks} timed ticks after {WARMUP} warm-up ticks "
          f"(*k: stopped after k ticks at the {BUDGET_S:.0f} s budget).")
    table("1. Build: OrgModel(scenario), shipped scenarios scaled to the size (best of 3; one build at 100,000+)",
          ["size", "scenario", "people", "build s"],
          [[str(n), name, str(b["people"]), f"{b['build_s']:.3f}"] for n, r in results.items() for name, b in r["build"].items()])
    rows = []
    for n, r in results.items():
        a = r["attention"]
        at, k, lean = a["attention"], a["kernel"], a["lean_kernel"]
        rows.append([str(n), str(a["tracked_per_tick"]), f"{a['background_per_tick']:.3g}", ms(at), f"{at['reads_per_tick']:.4g}",
                     f"{at['reads_per_s']:.3g}", f"{at['queued_per_person']:.0f}", ms(k), f"{k['reads_per_tick']:.4g}", f"{a['ratio']:.2f}",
                     ms(lean), f"{lean['reads_per_tick']:.4g}", f"{a['lean_ratio']:.2f}"])
    table("2/3. Attention alone vs plain-numpy kernels of the same rule: background 11/person/tick (levels 0.25/0.35/0.40, 30 % on "
          "the stream for half the people), size/10 tracked entries, budget 20 at the desk (p = 0.75), TTL 40/40",
          ["size", "tracked/t", "backgr/t", "att ms/t", "att read/t", "att reads/s", "queued/p", "dense ms/t", "dense read/t",
           "att/dense", "lean ms/t", "lean read/t", "att/lean"], rows)
    table("4. Full model: OrgModel.step(), shipped scenarios scaled to the size; run time extrapolated from ms/t",
          ["size", "scenario", "people", "ms/t", "read/t", "tracked read/t", "run ticks", "run s", "peak RSS MiB"],
          [[str(n), name, str(m["people"]), ms(m), f"{m['reads_per_tick']:.4g}", f"{m['tracked_reads_per_tick']:.4g}",
            str(m["run_ticks"]), f"{m['run_s']:.1f}",
            f"{m['peak_rss_mib']:.0f}"] for n, r in results.items() for name, m in r["model"].items()])
    table("5. Memory: peak RSS of the whole size (all sections; ru_maxrss, reset per size), tracemalloc peak of building "
          "+ warming one model",
          ["size", "peak RSS MiB", "reset", "traced model", "tracemalloc peak MiB", "held after warm-up MiB"],
          [[str(n), f"{r['peak_rss_mib']:.0f}", "yes" if r["rss_reset"] else "no", name, f"{t['peak_mib']:.0f}", f"{t['held_mib']:.0f}"]
           for n, r in results.items() for name, t in r["tracemalloc"].items()])
    print("\nTargets (reported, not asserted): attention/kernel <= 1.5 (dense and lean shown); 10,000 people x 2,000 ticks <= 30 s; "
          "100,000 people x 500 ticks <= 120 s; memory < 4 GiB at 100,000")
    for n, r in results.items():
        a = r["attention"]
        print(f"  {n:>7}: attention/kernel {a['ratio']:.2f} dense, {a['lean_ratio']:.2f} lean "
              f"(reads differ by {100 * a['reads_diff']:+.2f} % / {100 * a['lean_reads_diff']:+.2f} %); {r['run_ticks']} ticks: "
              + ", ".join(f"{k} {m['run_s']:.1f} s" for k, m in r["model"].items())
              + f"; peak RSS {r['peak_rss_mib'] / 1024:.2f} GiB")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="organisation sizes, comma-separated")
    ap.add_argument("--ticks", type=int, default=100, help="timed ticks per measurement (after %d warm-up ticks)" % WARMUP)
    ap.add_argument("--quick", action="store_true", help="sizes 1000,10000 and 30 timed ticks (well under a minute)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    ap.add_argument("--scaling", choices=SCALINGS, default="up",
                    help="up: the shipped 8 departments and communities made bigger (default); out: more of them, each the shipped size")
    args = ap.parse_args(argv)
    sizes = [1000, 10000] if args.quick else [int(x) for x in args.sizes.split(",")]
    ticks = min(args.ticks, 30) if args.quick else args.ticks
    rev = revision()
    print(f"bench_model: orgsim {rev}, python {platform.python_version()}, numpy {np.__version__}, mesa {mesa.__version__}, "
          f"{platform.machine()}, sizes {sizes}, ticks {ticks}, scaling {args.scaling}, {time.strftime('%Y-%m-%d %H:%M')}")
    t0 = time.perf_counter()
    results = {}
    for n in sizes:
        log(f"size {n}")
        results[n] = bench_size(n, ticks, args.scaling)
    report(results, ticks)
    print(f"Total wall time {time.perf_counter() - t0:.0f} s")
    if args.json:
        meta = {"revision": rev, "python": platform.python_version(), "numpy": np.__version__, "mesa": mesa.__version__, "machine": platform.machine(),
                "ticks": ticks, "scaling": args.scaling, "warmup": WARMUP, "seed": SEED, "budget_s": BUDGET_S}
        Path(args.json).write_text(json.dumps({"meta": meta, "sizes": {str(k): v for k, v in results.items()}}, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
