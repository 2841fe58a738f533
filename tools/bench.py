#!/usr/bin/env python3
"""bench.py - fuzzing benchmark (not run in CI).

  tools/bench.py [--build build/default] [--trials 10] [--budget 60]
                 [--engines libfuzzer,libfuzzer-stock,afl,naive,sched-random,pct]
                 [--bugs NAME,...] [--out bench]

1. throughput: execs/s of each engine for 10 s on the correct model
   (libFuzzer and AFL++ on the converted seed corpus, one task; the in-process
   engines on generated programs), plus the replay rate of a fixed corpus of
   2000 random 32-op inputs through the libFuzzer harness, every invariant
   checked after every op (mmt_fuzz-stock -runs=0).
2. time-to-detect: for every zoo bug (mmtorture inject --list) and engine,
   TRIALS hunts with seeds 1..TRIALS and a budget of BUDGET seconds
   (mmtorture hunt --inject BUG --engine E --seed S); median seconds (a miss
   counts as infinite), success rate within the budget, ratio of the naive
   baseline's median to the engine's.
Writes OUT/results.json and OUT/ttd.svg (a plot drawn here, no matplotlib).
"""
import argparse, json, math, os, random, re, shutil, statistics, subprocess, sys, tempfile, time


def run(cmd, env=None, timeout=None):
    e = dict(os.environ)
    e.pop("MMT_INJECT", None)
    e.update(env or {})
    return subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=timeout)


def throughput(build, work):
    res = {}
    mmt = os.path.join(build, "mmtorture")
    seeds = os.path.join(build, "fuzz", "seeds")
    # fixed corpus of 32-op inputs through the harness
    corpus = os.path.join(work, "fixed32")
    os.makedirs(corpus, exist_ok=True)
    rnd = random.Random(7)
    for i in range(2000):
        b = bytearray(rnd.getrandbits(8) for _ in range(2 + 4 * 32))
        b[0] &= 0x1F  # one task
        b[1] = 32
        open(os.path.join(corpus, "in%04d" % i), "wb").write(bytes(b))
    fz = os.path.join(build, "mmt_fuzz-stock")
    if os.path.exists(fz):
        for _ in range(50):  # drop inputs that fail on the model (reported separately)
            t0 = time.time()
            r = run([fz, "-runs=0", "-artifact_prefix=%s/" % work, corpus])
            dt = time.time() - t0
            m = re.search(r"Test unit written to (\S+)", r.stderr)
            if not m:
                break
            bad = open(m.group(1), "rb").read()
            for f in os.listdir(corpus):
                p = os.path.join(corpus, f)
                if open(p, "rb").read() == bad:
                    os.remove(p)
            os.remove(m.group(1))
        n = len(os.listdir(corpus))
        res["replay_32op_execs_per_s"] = round(n / dt)
        res["replay_32op_inputs"] = n
    # engines, 10 s each, correct model
    with tempfile.TemporaryDirectory() as d:
        if os.path.exists(fz):
            r = run([fz, "-max_total_time=10", "-seed=1", "-max_len=514", "-print_final_stats=1", d, seeds])
            m = re.search(r"average_exec_per_sec:\s+(\d+)", r.stderr)
            res["libfuzzer_execs_per_s"] = int(m.group(1)) if m else None
            d2 = tempfile.mkdtemp(dir=work)
            r = run([fz, "-max_total_time=10", "-seed=1", "-max_len=514", "-print_final_stats=1", d2, seeds],
                    env={"MMT_FUZZ_TASKS": "2"})
            m = re.search(r"average_exec_per_sec:\s+(\d+)", r.stderr)
            res["libfuzzer_2tasks_execs_per_s"] = int(m.group(1)) if m else None
    afl = os.path.join(build, "mmt_fuzz_afl")
    if os.path.exists(afl) and shutil.which("afl-fuzz"):
        out = tempfile.mkdtemp(dir=work)
        run(["afl-fuzz", "-V", "10", "-s", "1", "-i", seeds, "-o", out, "--", afl],
            env={"AFL_NO_UI": "1", "AFL_SKIP_CPUFREQ": "1", "AFL_NO_AFFINITY": "1",
                 "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES": "1"})
        try:
            st = open(os.path.join(out, "default", "fuzzer_stats")).read()
            res["afl_execs_per_s"] = float(re.search(r"execs_per_sec\s*:\s*([\d.]+)", st).group(1))
        except (OSError, AttributeError):
            res["afl_execs_per_s"] = None
    for eng, extra in (("naive", []), ("sched-random", ["--tasks", "2"]), ("pct", ["--tasks", "2"])):
        r = run([mmt, "hunt", "--engine", eng, "--budget", "10", "--seed", "1", "--quiet",
                 "--out", os.path.join(work, "tp")] + extra)
        m = re.search(r"(\d+) programs, (\d+) ops", r.stderr)
        if m:
            res[eng.replace("-", "_") + "_programs_per_s"] = round(int(m.group(1)) / 10)
    return res


def hunt(build, bug, engine, seed, budget, work):
    mmt = os.path.join(build, "mmtorture")
    cmd = [mmt, "hunt", "--inject", bug, "--seed", str(seed), "--budget", str(budget),
           "--quiet", "--out", os.path.join(work, "ttd")]
    if engine == "libfuzzer-stock":
        cmd += ["--engine", "libfuzzer", "--no-custom-mutator"]
    elif engine == "afl-stock":
        cmd += ["--engine", "afl", "--no-custom-mutator"]
    else:
        cmd += ["--engine", engine]
    r = run(cmd, timeout=budget + 120)
    m = re.search(r"hunt-result: (\{.*\})", r.stdout)
    if not m:
        return {"found": False, "seconds": None, "error": r.stderr[-300:]}
    j = json.loads(m.group(1))
    return {"found": j["found"], "seconds": j["seconds"] if j["found"] else None}


def median(xs):
    xs = sorted(x if x is not None else math.inf for x in xs)
    return statistics.median(xs) if xs else math.inf


def svg(results, path):
    bugs = list(results["ttd"].keys())
    engines = results["engines"]
    colors = ["#1f77b4", "#aec7e8", "#ff7f0e", "#7f7f7f", "#2ca02c", "#d62728", "#9467bd"]
    budget = results["budget_s"]
    W, H, left, top, rowh = 900, 80 + 60 * len(bugs) * 1, 250, 40, 60
    bw = rowh / (len(engines) + 1)
    lo, hi = math.log10(0.01), math.log10(budget)
    x = lambda s: left + (math.log10(max(s, 0.01)) - lo) / (hi - lo) * (W - left - 40)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (W, H + 60),
           '<text x="10" y="20" font-size="14">median time-to-detect (s, log scale; bar to the end = not found within %gs; n/N = success)</text>' % budget]
    for k in range(-2, int(math.ceil(hi)) + 1):
        s = 10 ** k
        if s > budget:
            break
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%g</text>'
                   % (x(s), top, x(s), H, x(s), H + 15, s))
    for i, bug in enumerate(bugs):
        y0 = top + i * rowh
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 10, y0 + rowh / 2, bug))
        for j, eng in enumerate(engines):
            r = results["ttd"][bug].get(eng)
            if not r:
                continue
            med = r["median_s"]
            end = x(budget) if med is None else x(med)
            y = y0 + j * bw + 2
            out.append('<rect x="%d" y="%.1f" width="%.1f" height="%.1f" fill="%s" opacity="%s"/>'
                       % (left, y, max(end - left, 1), bw - 2, colors[j % len(colors)], "1" if med is not None else "0.25"))
            out.append('<text x="%.1f" y="%.1f" font-size="9">%s %s</text>'
                       % (end + 3, y + bw - 4, eng, "%d/%d" % (r["found"], r["trials"])))
    out.append("</svg>")
    open(path, "w").write("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/default")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--budget", type=float, default=60)
    ap.add_argument("--engines", default="libfuzzer,libfuzzer-stock,afl,naive,sched-random,pct")
    ap.add_argument("--bugs", default="")
    ap.add_argument("--out", default="bench")
    ap.add_argument("--skip-throughput", action="store_true")
    a = ap.parse_args()
    mmt = os.path.join(a.build, "mmtorture")
    bugs = a.bugs.split(",") if a.bugs else [l.split()[0] for l in run([mmt, "inject", "--list"]).stdout.splitlines() if l.strip()]
    engines = a.engines.split(",")
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="mmt-bench.")
    results = {"command": " ".join(sys.argv), "trials": a.trials, "budget_s": a.budget,
               "engines": engines, "machine": os.uname().nodename, "nproc": os.cpu_count(),
               "date": time.strftime("%Y-%m-%d %H:%M:%S"), "throughput": {}, "ttd": {}}
    jpath = os.path.join(a.out, "results.json")
    if not a.skip_throughput:
        results["throughput"] = throughput(a.build, work)
        print("throughput:", json.dumps(results["throughput"]), flush=True)
    for bug in bugs:
        results["ttd"][bug] = {}
        for eng in engines:
            trials = [hunt(a.build, bug, eng, s, a.budget, work) for s in range(1, a.trials + 1)]
            times = [t["seconds"] for t in trials]
            med = median(times)
            results["ttd"][bug][eng] = {
                "trials": a.trials, "found": sum(t["found"] for t in trials),
                "median_s": None if med == math.inf else round(med, 3),
                "seconds": times}
            print(bug, eng, results["ttd"][bug][eng]["found"], "/", a.trials,
                  "median", results["ttd"][bug][eng]["median_s"], flush=True)
            json.dump(results, open(jpath + ".tmp", "w"), indent=1)
            os.replace(jpath + ".tmp", jpath)
        base = results["ttd"][bug].get("naive", {}).get("median_s")
        for eng, r in results["ttd"][bug].items():
            if r["median_s"] is None:
                r["speedup_vs_naive"] = None
            elif base is None:
                r["speedup_vs_naive"] = "inf (naive never found it)"
            else:
                r["speedup_vs_naive"] = round(base / max(r["median_s"], 1e-3), 1)
    json.dump(results, open(jpath, "w"), indent=1)
    svg(results, os.path.join(a.out, "ttd.svg"))
    shutil.rmtree(work, ignore_errors=True)
    print("wrote", jpath, os.path.join(a.out, "ttd.svg"))


if __name__ == "__main__":
    main()
