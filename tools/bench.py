#!/usr/bin/env python3
"""bench.py - fuzzing benchmark (not run in CI).

  tools/bench.py [--build build/default] [--trials 10] [--budget 60]
                 [--fuzzer-trials N] [--fuzzer-budget S] [--jobs 2]
                 [--engines libfuzzer,libfuzzer-stock,afl,random-bytes,naive,sched-random,pct]
                 [--bugs NAME,...] [--out bench]   (an engine ENGINE:GEN runs hunt --gen GEN)

1. throughput: execs/s of each engine for 10 s on the correct model
   (libFuzzer and AFL++ on the converted seed corpus, one task; the in-process
   engines on generated programs), plus the replay rate of a fixed corpus of
   20000 random 32-op inputs through the libFuzzer harness, every invariant
   checked after every op (mmt_fuzz-stock -runs=0), and the same in process
   (mmtorture hunt --engine naive: 32-op one-task programs, not instrumented),
   and the programs/s of the in-process hunt engines.
   Checker cost: that naive run with --check full against --check incremental.
   Memory: peak RSS (wait4) of the naive engine and of the libFuzzer harness
   at two exec counts; the world's bytes per frame and per process slot
   (tools/footprint.c).
2. time-to-detect: for every zoo bug (mmtorture inject --list) and engine,
   TRIALS hunts with seeds i * 1000003, i = 1..TRIALS (spaced out of habit:
   the in-process engines hash every program seed from the hunt's seed, so
   nearby seeds share no programs any more) and a budget of BUDGET seconds
   (libFuzzer and AFL++:
   --fuzzer-trials/--fuzzer-budget if given, and random-bytes too, being
   their baseline), JOBS hunts at a time (mmtorture hunt --inject BUG
   --engine E --seed S); median seconds (a miss counts as infinite), success
   rate within the budget, and the ratio of the baseline's median to the
   engine's.  The baseline is random-bytes: uniformly random byte strings
   through the fuzzers' own decoder and harness path, no feedback, so the
   ratio is what coverage feedback and mutation buy.  When the baseline's
   median is infinite the ratio is only a lower bound, its budget over the
   engine's median (speedup_vs_baseline_at_least).  The ratio to naive
   (generated programs, one task, two swap devices at most: it cannot reach
   the races or swapon-type-overlap) is kept as speedup_vs_naive.
Writes OUT/results.json and OUT/ttd.svg (a plot drawn here, no matplotlib).

Soak mode (--soak SECONDS): instead of the above, every engine of
--soak-engines (libFuzzer with 1, 2 and 3 tasks, AFL++ with 2 tasks, pct and
sched-random with their race templates mixed with uniform programs, pct
and sched-random on the PMD THP template (pct:thp, sched-random:thp), stress;
pct:GEN and sched-random:GEN for one generator, e.g. pct:mremap)
runs SECONDS on the clean model, --jobs engines at a time; in-process engines
and stress start over with the next seed after a finding.  Findings per
engine go to OUT/soak.json, their reproducers to OUT/soak-findings/.  The bar
is zero: exit 1 if anything was found.

Fidelity (--difftest N): N generated programs run on the model and on this
machine's kernel (mmtorture difftest --seed --difftest-seed), every outcome and
read value compared; OUT/difftest.json.  The bar is zero disagreements.
"""
import argparse, json, math, os, random, re, shutil, statistics, subprocess, sys, tempfile, time


def peak_rss(cmd, env=None):
    """run @cmd; (peak RSS in MiB of that child alone, wall seconds, stderr)"""
    e = dict(os.environ)
    e.pop("MMT_INJECT", None)
    e.update(env or {})
    t0 = time.time()
    p = subprocess.Popen(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, _, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    return round(ru.ru_maxrss / 1024, 1), time.time() - t0, err


def fuzzer_rate(err):
    """execs/s from libFuzzer's final stats, else from its last status line"""
    m = re.search(r"average_exec_per_sec:\s+(\d+)", err)
    if m:
        return int(m.group(1)), False
    m = re.findall(r"^#(\d+)\s.*exec/s: (\d+)", err, re.M)
    return (int(m[-1][1]) if m else None), True


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
    for i in range(20000):
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
        res["replay_32op_seconds_incl_startup"] = round(dt, 2)
    # in process, not instrumented: 32-op one-task programs, checked after every op
    # the same 10000 programs (seeds 1..10000) in both modes, best of 3, alternating
    best = {}
    for rep in range(3):
        for mode in ("incremental", "full"):
            t0 = time.time()
            r = run([mmt, "hunt", "--engine", "naive", "--runs", "10000", "--budget", "600", "--seed", "1",
                     "--quiet", "--check", mode, "--out", os.path.join(work, "tp")])
            dt = time.time() - t0
            m = re.search(r"(\d+) programs, (\d+) ops", r.stderr)
            if m and (mode not in best or dt < best[mode][0]):
                best[mode] = (dt, int(m.group(1)), int(m.group(2)))
    for mode, (dt, progs, ops) in best.items():
        res["inprocess_32op_%s_execs_per_s" % mode] = round(progs / dt)
        res["inprocess_32op_%s_ops_per_s" % mode] = round(ops / dt)
    a, b = res.get("inprocess_32op_incremental_execs_per_s"), res.get("inprocess_32op_full_execs_per_s")
    if a and b:
        res["checker_cost_full_over_incremental"] = round(a / b, 2)
    # in-flight checking (lock release and yield points): on (default) against
    # MMT_INFLIGHT=0, the same programs, best of 3 alternating; one task
    # (naive) and two (sched-random)
    for eng, extra in (("naive", []), ("sched-random", ["--tasks", "2", "--gen", "mix"])):
        best = {}
        for rep in range(3):
            for mode in ("on", "off"):
                t0 = time.time()
                r = run([mmt, "hunt", "--engine", eng, "--runs", "5000", "--budget", "600", "--seed", "1",
                         "--quiet", "--out", os.path.join(work, "tp")] + extra,
                        env={"MMT_INFLIGHT": "1" if mode == "on" else "0"})
                dt = time.time() - t0
                if re.search(r"(\d+) programs", r.stderr) and (mode not in best or dt < best[mode]):
                    best[mode] = dt
        if "on" in best and "off" in best:
            key = "inflight_cost_%s" % eng.replace("-", "_")
            res[key + "_execs_per_s_on"] = round(5000 / best["on"])
            res[key + "_execs_per_s_off"] = round(5000 / best["off"])
            res[key + "_ratio"] = round(best["on"] / best["off"], 2)
    # engines, 10 s each, correct model
    with tempfile.TemporaryDirectory() as d:
        if os.path.exists(fz):
            # a run that finds something (the model is not bug-free) stops
            # early without final stats: then the last status line counts
            for key, env in (("libfuzzer_execs_per_s", {}), ("libfuzzer_2tasks_execs_per_s", {"MMT_FUZZ_TASKS": "2"})):
                d2 = tempfile.mkdtemp(dir=work)
                r = run([fz, "-max_total_time=10", "-seed=1", "-max_len=514", "-print_final_stats=1",
                         "-artifact_prefix=%s/" % work, d2, seeds], env=env)
                res[key], stopped = fuzzer_rate(r.stderr)
                if stopped:
                    res[key + "_note"] = "stopped early (a finding); rate from the last status line"
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
    for eng, extra in (("naive", []), ("sched-random", ["--tasks", "2"]), ("pct", ["--tasks", "2"]),
                       ("random-bytes", ["--tasks", "2"])):
        r = run([mmt, "hunt", "--engine", eng, "--budget", "10", "--seed", "1", "--quiet",
                 "--out", os.path.join(work, "tp")] + extra)
        m = re.search(r"(\d+) programs, (\d+) ops", r.stderr)
        if m:
            res[eng.replace("-", "_") + "_programs_per_s"] = round(int(m.group(1)) / 10)
    return res


def memory(build, work):
    """peak RSS at two exec counts (must not grow), and the world's footprint"""
    res = {}
    mmt = os.path.join(build, "mmtorture")
    for n in (2000, 50000):
        rss, dt, _ = peak_rss([mmt, "hunt", "--engine", "naive", "--runs", str(n), "--budget", "600",
                               "--seed", "1", "--quiet", "--out", os.path.join(work, "mem")])
        res["naive_peak_rss_mib_%d_execs" % n] = rss
    fz = os.path.join(build, "mmt_fuzz-stock")
    if os.path.exists(fz):
        for n in (2000, 100000):
            d = tempfile.mkdtemp(dir=work)
            rss, dt, err = peak_rss([fz, "-runs=%d" % n, "-seed=1", "-max_len=514", "-print_final_stats=1",
                                     "-artifact_prefix=%s/" % work, d, os.path.join(build, "fuzz", "seeds")])
            m = re.search(r"number_of_executed_units:\s+(\d+)", err)
            res["libfuzzer_peak_rss_mib_%d_execs" % n] = rss
            res["libfuzzer_%d_execs_ran" % n] = int(m.group(1)) if m else None
            m = re.search(r"new_units_added:\s+(\d+)", err)
            res["libfuzzer_%d_execs_units_added_to_corpus" % n] = int(m.group(1)) if m else None
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "footprint.c")
    exe = os.path.join(work, "footprint")
    cc = shutil.which("clang") or shutil.which("cc")
    root = os.path.join(os.path.dirname(src), "..")
    incs = []
    for layer in ("kprim", "mm"):   # footprint.c needs only the model
        incs += ["-I", os.path.join(root, "core", layer, "include")]
    r = run([cc, "-O1", "-D_GNU_SOURCE"] + incs +
            [src, os.path.join(build, "libmmt_mm.a"), os.path.join(build, "libmmt_kprim.a"),
             "-lpthread", "-lm", "-o", exe])
    if r.returncode == 0:
        res["world_footprint"] = json.loads(run([exe]).stdout)
    else:
        res["world_footprint"] = "footprint.c did not build: " + r.stderr[-300:]
    return res


def hunt(build, bug, engine, seed, budget, work):
    mmt = os.path.join(build, "mmtorture")
    cmd = [mmt, "hunt", "--inject", bug, "--seed", str(seed), "--budget", str(budget),
           "--quiet", "--out", os.path.join(work, "ttd")]
    if engine == "libfuzzer-stock":
        cmd += ["--engine", "libfuzzer", "--no-custom-mutator"]
    elif engine == "afl-stock":
        cmd += ["--engine", "afl", "--no-custom-mutator"]
    elif engine.endswith("-pairs"):
        # generic pair races (hunt --gen pairs, issue 12) under that engine
        cmd += ["--engine", engine[:-len("-pairs")], "--gen", "pairs"]
    elif re.match(r".*-ksm\d?$", engine):
        # the KSM race template (hunt --gen ksm) under that engine; -ksm3: 3 tasks
        base, tasks = re.match(r"(.*)-ksm(\d?)$", engine).groups()
        cmd += ["--engine", base, "--gen", "ksm"] + (["--tasks", tasks] if tasks else [])
    elif engine.endswith("-uffd"):
        # the UFFDIO_MOVE race template (hunt --gen uffd) under that engine
        cmd += ["--engine", engine[:-len("-uffd")], "--gen", "uffd"]
    elif ":" in engine:
        # ENGINE:GEN, any generator (hunt --gen GEN), e.g. pct:mremap, naive:forks
        base, gen = engine.split(":", 1)
        cmd += ["--engine", base, "--gen", gen]
    else:
        cmd += ["--engine", engine]
    try:
        r = run(cmd, timeout=budget + 120)
    except subprocess.TimeoutExpired:
        return {"found": False, "seconds": None, "error": "timeout"}
    m = re.search(r"hunt-result: (\{.*\})", r.stdout)
    if not m:
        return {"found": False, "seconds": None, "error": r.stderr[-300:]}
    j = json.loads(m.group(1))
    # execs: programs run (in process; explore: schedules), or fuzzer execs
    return {"found": j["found"], "seconds": j["seconds"] if j["found"] else None,
            "execs": j.get("execs")}


BASELINE = "random-bytes"


def speedup(base, r, key, name):
    """{key: ratio of @base's median to @r's} (None: @r's median is not
    reached, or there is no @base), and when @base's median is not reached
    either, key_at_least: @base's budget over @r's median"""
    if r["median_s"] is None or not base:
        return {key: None}
    if base["median_s"] is None:
        return {key: "inf (%s's median not reached within %g s)" % (name, base["budget_s"]),
                key + "_at_least": round(base["budget_s"] / max(r["median_s"], 1e-3), 1)}
    return {key: round(base["median_s"] / max(r["median_s"], 1e-3), 1)}


def median(xs):
    xs = sorted(x if x is not None else math.inf for x in xs)
    return statistics.median(xs) if xs else math.inf


def svg(results, path):
    bugs = list(results["ttd"].keys())
    engines = results["engines"]
    colors = ["#1f77b4", "#aec7e8", "#ff7f0e", "#7f7f7f", "#2ca02c", "#d62728", "#9467bd"]
    budget = max([results["budget_s"]] + [r.get("budget_s", 0) for b in results["ttd"].values() for r in b.values()])
    W, H, left, top, rowh = 900, 80 + 60 * len(bugs) * 1, 250, 40, 60
    bw = rowh / (len(engines) + 1)
    lo, hi = math.log10(0.01), math.log10(budget)
    x = lambda s: left + (math.log10(max(s, 0.01)) - lo) / (hi - lo) * (W - left - 170)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (W, H + 60),
           '<text x="10" y="20" font-size="14">median time-to-detect (s, log scale; faint bar to the budget = median not reached; n/N = found/trials)</text>']
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
            end = x(r.get("budget_s", budget)) if med is None else x(med)
            y = y0 + j * bw + 2
            out.append('<rect x="%d" y="%.1f" width="%.1f" height="%.1f" fill="%s" opacity="%s"/>'
                       % (left, y, max(end - left, 1), bw - 2, colors[j % len(colors)], "1" if med is not None else "0.25"))
            out.append('<text x="%.1f" y="%.1f" font-size="9">%s %s</text>'
                       % (end + 3, y + bw - 4, eng, "%d/%d" % (r["found"], r["trials"])))
    out.append("</svg>")
    open(path, "w").write("\n".join(out))


SOAK_ENGINES = "libfuzzer-1task,libfuzzer-2task,libfuzzer-3task,afl-2task,pct,sched-random,pct:thp,sched-random:thp,stress"


def soak_one(build, eng, seconds, seed, work):
    """run engine @eng on the clean model for @seconds; its findings"""
    mmt = os.path.join(build, "mmtorture")
    d = tempfile.mkdtemp(dir=work, prefix=eng + ".")
    res = {"engine": eng, "seconds": seconds, "findings": [], "runs": 0}
    env = dict(os.environ)
    env.pop("MMT_INJECT", None)
    t_end = time.time() + seconds
    if eng.startswith("libfuzzer") or eng.startswith("afl"):
        kind, tasks = eng.split("-")
        r = subprocess.run([mmt, "fuzz", "--engine", kind, "--tasks", tasks.rstrip("task"),
                            "--jobs", "1", "--budget", str(seconds), "--seed", str(seed),
                            "--out", d], env=env, capture_output=True, text=True,
                           timeout=seconds + 600)
        res["runs"] = 1
        try:
            sm = json.load(open(os.path.join(d, "summary.json")))
            res["execs"] = sm.get("execs")
            res["findings"] = [f if isinstance(f, str) else f.get("file", str(f))
                               for f in sm.get("findings", [])]
            res["crash_inputs"] = sm.get("crash_inputs")
            res["unreproducible"] = sm.get("unreproducible")
            if not res["execs"] and kind == "libfuzzer":
                # fork mode's status lines, should the summary have missed them
                lines = re.findall(r"^#(\d+)", open(os.path.join(d, "logs", "libfuzzer.log"),
                                                     errors="replace").read(), re.M)
                res["execs"] = int(lines[-1]) if lines else 0
        except (OSError, ValueError) as e:
            res["error"] = "no summary.json (%s): %s" % (e, r.stderr[-300:])
    elif eng.split(":")[0] in ("pct", "sched-random"):
        # ENGINE:GEN runs one generator (hunt --gen GEN), e.g. pct:mremap
        base, _, gen = eng.partition(":")
        execs = 0
        while time.time() < t_end - 1:
            left = t_end - time.time()
            r = subprocess.run([mmt, "hunt", "--engine", base, "--gen", gen or "mix", "--tasks", "2",
                                "--seed", str(seed + res["runs"]), "--budget", "%.1f" % left,
                                "--quiet", "--out", d], env=env, capture_output=True, text=True,
                               timeout=left + 600)
            res["runs"] += 1
            m = re.search(r"hunt-result: (\{.*\})", r.stdout + r.stderr)
            if not m:
                res["error"] = (r.stdout + r.stderr)[-300:]
                break
            h = json.loads(m.group(1))
            execs += h.get("execs", 0)
            if h.get("found"):
                res["findings"].append(h.get("finding") or h.get("signature"))
        res["execs"] = execs
    elif eng == "stress":
        while time.time() < t_end - 1:
            left = int(max(1, t_end - time.time()))
            r = subprocess.run([mmt, "stress", "--threads", "2", "--time", str(left),
                                "--seed", str(seed + res["runs"]), "--quiet", "--out", d],
                               env=env, capture_output=True, text=True, timeout=left + 600)
            res["runs"] += 1
            m = re.search(r"stress: [\d.]+s, (\d+) ops", r.stdout + r.stderr)
            if m:
                res["execs"] = res.get("execs", 0) + int(m.group(1))   # ops, for stress
            if r.returncode == 1:
                res["findings"].append((r.stdout + r.stderr).strip().splitlines()[-1:] or ["?"])
            elif r.returncode != 0:
                res["error"] = (r.stdout + r.stderr)[-300:]
                break
    res["found"] = len(res["findings"])
    # keep what was found, for whoever fixes it (on the clean model every
    # .mmt an engine wrote is a finding)
    kept = [os.path.join(dp, f) for dp, _, fs in os.walk(d) for f in fs if f.endswith(".mmt")]
    res["finding_files"] = kept
    return res


def soak(a):
    """every engine on the clean model; findings per engine (must be 0)"""
    engines = a.soak_engines.split(",")
    work = tempfile.mkdtemp(prefix="mmt-soak.")
    out = {"command": " ".join(sys.argv), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
           "machine": os.uname().nodename, "nproc": os.cpu_count(), "seconds_per_engine": a.soak,
           "commit": run(["git", "rev-parse", "--short", "HEAD"]).stdout.strip(), "engines": {}}
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(max_workers=max(1, a.jobs))
    futs = {e: pool.submit(soak_one, a.build, e, a.soak, 1000003 * (i + 1), work)
            for i, e in enumerate(engines)}
    keep = os.path.join(a.out, "soak-findings")
    for e in engines:
        r = futs[e].result()
        if r["finding_files"]:
            os.makedirs(keep, exist_ok=True)
            for f in r["finding_files"]:
                shutil.copy(f, os.path.join(keep, e + "-" + os.path.basename(f)))
        out["engines"][e] = r
        print("soak:", e, "%ds" % a.soak, "findings", r["found"], "execs", r.get("execs"),
              r.get("error", ""), flush=True)
    out["total_seconds"] = a.soak * len(engines)
    out["total_findings"] = sum(r["found"] for r in out["engines"].values())
    path = os.path.join(a.out, "soak.json")
    json.dump(out, open(path + ".tmp", "w"), indent=1)
    os.replace(path + ".tmp", path)
    print("soak: %d findings over %d engine-seconds; wrote %s" %
          (out["total_findings"], out["total_seconds"], path))
    return 1 if out["total_findings"] else 0


def default_campaign(a):
    """time to the first injected finding of `fuzz` as the README runs it, spread and one-task"""
    mmt = os.path.join(a.build, "mmtorture")
    bugs = a.bugs.split(",") if a.bugs else [l.split()[0] for l in run([mmt, "inject", "--list"]).stdout.splitlines() if l.strip()]
    work = tempfile.mkdtemp(prefix="mmt-dc.")
    configs = {"spread": [], "libfuzzer-1task": ["--engine", "libfuzzer", "--tasks", "1"]}
    out = {"command": " ".join(sys.argv), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
           "commit": run(["git", "rev-parse", "--short", "HEAD"]).stdout.strip(),
           "budget_s": a.budget, "trials": a.default_campaign, "results": {}}
    for bug in bugs:
        out["results"][bug] = {k: [] for k in configs}
        for i in range(1, a.default_campaign + 1):
            for name, extra in configs.items():
                d = os.path.join(work, "%s-%s-%d" % (bug, name, i))
                run([mmt, "fuzz", "--inject", bug, "--budget", str(a.budget), "--seed", str(i * 1000003),
                     "--quiet", "--out", d] + extra, timeout=a.budget + 300)
                try:
                    sm = json.load(open(os.path.join(d, "summary.json")))
                    ts = [f["seconds"] for f in sm.get("findings", []) if f.get("kind") != "clean-model"]
                    res = {"found": bool(ts), "seconds": min(ts) if ts else None,
                           "engine": min(sm["findings"], key=lambda f: f["seconds"])["engine"] if ts else None}
                except (OSError, ValueError, KeyError) as e:
                    res = {"found": False, "seconds": None, "error": str(e)}
                out["results"][bug][name].append(res)
                print(bug, name, i, res, flush=True)
                shutil.rmtree(d, ignore_errors=True)
        path = os.path.join(a.out, "default-campaign.json")
        json.dump(out, open(path + ".tmp", "w"), indent=1)
        os.replace(path + ".tmp", path)
    print("wrote", os.path.join(a.out, "default-campaign.json"))
    return 0


def workshare(a):
    """the share of generated ops that work, from gen and from random bytes"""
    mmt = os.path.join(a.build, "mmtorture")
    out = {"command": " ".join(sys.argv), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
           "commit": run(["git", "rev-parse", "--short", "HEAD"]).stdout.strip()}
    for src in ("gen", "bytes"):
        r = run([mmt, "workshare", "--from", src, "--count", str(a.workshare), "--json"])
        if r.returncode:
            print(r.stderr, file=sys.stderr)
            return 1
        out[src] = json.loads(r.stdout)
        print(src, "share", out[src]["share"], "access share", out[src]["access_share"], flush=True)
    path = os.path.join(a.out, "workshare.json")
    json.dump(out, open(path, "w"), indent=1)
    print("wrote", path)
    return 0


def difftest(a):
    """the model against this machine's kernel: N generated programs"""
    mmt = os.path.join(a.build, "mmtorture")
    d = tempfile.mkdtemp(prefix="mmt-difftest.")
    r = run([mmt, "difftest", "--seed", str(a.difftest_seed), "--count", str(a.difftest),
             "--quiet", "--out", d])
    try:
        sm = json.load(open(os.path.join(d, "summary.json")))
    except (OSError, ValueError):
        print("difftest: no summary:", r.stderr[-500:])
        return 2
    sm["command"] = "mmtorture difftest --seed %d --count %d" % (a.difftest_seed, a.difftest)
    sm["commit"] = run(["git", "rev-parse", "--short", "HEAD"]).stdout.strip()
    path = os.path.join(a.out, "difftest.json")
    json.dump(sm, open(path + ".tmp", "w"), indent=1)
    os.replace(path + ".tmp", path)
    print("difftest: %d programs, %d ops compared (%d read values), %d disagreeing; wrote %s" %
          (sm["programs"], sm["ops_compared"], sm["reads_compared"], sm["disagreeing_programs"], path))
    return 1 if sm["disagreeing_programs"] else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/default")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--budget", type=float, default=60)
    ap.add_argument("--engines", default="libfuzzer,libfuzzer-stock,afl,random-bytes,naive,sched-random,pct")
    ap.add_argument("--bugs", default="")
    ap.add_argument("--out", default="bench")
    ap.add_argument("--fuzzer-trials", type=int, default=0, help="trials for libfuzzer*/afl* (default --trials)")
    ap.add_argument("--fuzzer-budget", type=float, default=0, help="budget for libfuzzer*/afl* (default --budget)")
    ap.add_argument("--jobs", type=int, default=2, help="hunts at a time")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-ttd", action="store_true")
    ap.add_argument("--soak", type=float, default=0,
                    help="soak mode: every --soak-engines engine this many seconds on the clean model "
                         "(--jobs at a time); writes OUT/soak.json, exit 1 on any finding")
    ap.add_argument("--soak-engines", default=SOAK_ENGINES)
    ap.add_argument("--difftest", type=int, default=0,
                    help="fidelity: this many generated programs on the model and on this machine's "
                         "kernel (mmtorture difftest); writes OUT/difftest.json, exit 1 on a disagreement")
    ap.add_argument("--difftest-seed", type=int, default=7)
    ap.add_argument("--versus", default="",
                    help="a second build (an older commit's build/default): every time-to-detect trial "
                         "also runs there, alternating with --build, into ttd_versus")
    ap.add_argument("--default-campaign", type=int, default=0, metavar="TRIALS",
                    help="the README's first command against each zoo bug: `fuzz --inject BUG` as it "
                         "spreads now (libFuzzer 2 tasks + AFL++ 1 task) against a one-task libFuzzer "
                         "campaign, TRIALS each, --budget seconds; writes OUT/default-campaign.json")
    ap.add_argument("--workshare", type=int, default=0,
                    help="N programs from gen and from random bytes (mmtorture workshare): the share "
                         "of ops that return data or change state; writes OUT/workshare.json")
    a = ap.parse_args()
    if a.difftest:
        os.makedirs(a.out, exist_ok=True)
        sys.exit(difftest(a))
    if a.soak:
        os.makedirs(a.out, exist_ok=True)
        sys.exit(soak(a))
    if a.workshare:
        os.makedirs(a.out, exist_ok=True)
        sys.exit(workshare(a))
    if a.default_campaign:
        os.makedirs(a.out, exist_ok=True)
        sys.exit(default_campaign(a))
    mmt = os.path.join(a.build, "mmtorture")
    bugs = a.bugs.split(",") if a.bugs else [l.split()[0] for l in run([mmt, "inject", "--list"]).stdout.splitlines() if l.strip()]
    engines = a.engines.split(",")
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="mmt-bench.")
    results = {"command": " ".join(sys.argv), "trials": a.trials, "budget_s": a.budget,
               "engines": engines, "machine": os.uname().nodename, "nproc": os.cpu_count(),
               "date": time.strftime("%Y-%m-%d %H:%M:%S"), "throughput": {}, "memory": {}, "ttd": {},
               "seeds": "i * 1000003 for i in 1..trials", "jobs": a.jobs, "baseline": BASELINE}
    jpath = os.path.join(a.out, "results.json")
    if not a.skip_throughput:
        results["throughput"] = throughput(a.build, work)
        print("throughput:", json.dumps(results["throughput"]), flush=True)
        results["memory"] = memory(a.build, work)
        print("memory:", json.dumps(results["memory"]), flush=True)
    if a.skip_ttd:
        bugs = []
    from concurrent.futures import ThreadPoolExecutor
    # the baseline runs with the fuzzers' trials and budget: a shorter budget
    # would only lower the bound on their ratio
    isfz = lambda e: e.startswith("libfuzzer") or e.startswith("afl") or e == BASELINE
    shape = lambda e: ((a.fuzzer_trials or a.trials), (a.fuzzer_budget or a.budget)) if isfz(e) else (a.trials, a.budget)
    results["per_engine"] = {e: {"trials": shape(e)[0], "budget_s": shape(e)[1]} for e in engines}
    pool = ThreadPoolExecutor(max_workers=max(1, a.jobs))
    builds = [a.build] + ([a.versus] if a.versus else [])
    futs = {}
    for bug in bugs:
        for eng in engines:
            for i in range(1, shape(eng)[0] + 1):
                for b in builds:   # alternating: both builds see the same machine load
                    futs.setdefault((b, bug, eng), []).append(
                        pool.submit(hunt, b, bug, eng, i * 1000003, shape(eng)[1], work))
    if a.versus:
        results["versus"] = a.versus
        results["ttd_versus"] = {}
        for bug in bugs:
            results["ttd_versus"][bug] = {}
            for eng in engines:
                trials = [f.result() for f in futs[(a.versus, bug, eng)]]
                times = [t["seconds"] for t in trials]
                med = median(times)
                results["ttd_versus"][bug][eng] = {
                    "trials": len(trials), "budget_s": shape(eng)[1], "found": sum(t["found"] for t in trials),
                    "median_s": None if med == math.inf else round(med, 3), "seconds": times}
                print("versus", bug, eng, results["ttd_versus"][bug][eng]["found"], "/", len(trials),
                      "median", results["ttd_versus"][bug][eng]["median_s"], flush=True)
    futs = {(bug, eng): v for (b, bug, eng), v in futs.items() if b == a.build}
    for bug in bugs:
        results["ttd"][bug] = {}
        for eng in engines:
            trials = [f.result() for f in futs[(bug, eng)]]
            times = [t["seconds"] for t in trials]
            med = median(times)
            execs = [t.get("execs") for t in trials]
            found = sum(t["found"] for t in trials)
            total = sum(x or 0 for x in execs)
            results["ttd"][bug][eng] = {
                "trials": len(trials), "budget_s": shape(eng)[1], "found": found,
                "median_s": None if med == math.inf else round(med, 3),
                "seconds": times, "execs": execs,
                # detections per schedule (program, input) executed over all trials
                "found_per_exec": (found / total) if total else None,
                "median_execs": None if med == math.inf else statistics.median(
                    sorted((x if t["found"] else math.inf) for x, t in zip(execs, trials)))}
            errs = [t["error"] for t in trials if t.get("error")]
            if errs:
                results["ttd"][bug][eng]["errors"] = errs[:3]
            print(bug, eng, results["ttd"][bug][eng]["found"], "/", len(trials),
                  "median", results["ttd"][bug][eng]["median_s"],
                  "median execs", results["ttd"][bug][eng]["median_execs"], flush=True)
            json.dump(results, open(jpath + ".tmp", "w"), indent=1)
            os.replace(jpath + ".tmp", jpath)
        for eng, r in results["ttd"][bug].items():
            for key, ref in (("speedup_vs_baseline", BASELINE), ("speedup_vs_naive", "naive")):
                r.update(speedup(results["ttd"][bug].get(ref), r, key, ref))
            if eng != BASELINE and BASELINE in results["ttd"][bug]:
                print(bug, eng, "ratio to", BASELINE, r["speedup_vs_baseline"],
                      r.get("speedup_vs_baseline_at_least", ""), flush=True)
    json.dump(results, open(jpath, "w"), indent=1)
    if not bugs:
        print("wrote", jpath)
        return
    svg(results, os.path.join(a.out, "ttd.svg"))
    shutil.rmtree(work, ignore_errors=True)
    print("wrote", jpath, os.path.join(a.out, "ttd.svg"))


if __name__ == "__main__":
    main()
