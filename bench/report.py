#!/usr/bin/python3
"""Summarizes //bench:engine_bench's JSON and //bench:loadgen's JSON files.

Usage: bench/report.py ENGINE_JSON [LOADGEN_JSON ...]
       (ENGINE_JSON "-": no engine figures, e.g. SKIP_ENGINE=1)

Prints Markdown tables (medians over repetitions), the ratios issue 7 asks
for, and each target as MET / MISSED. Uses only the standard library.
"""

import json
import sys


def median_rows(bench):
    """name -> row: the `_median` aggregate when present, else the run."""
    rows = {}
    for b in bench["benchmarks"]:
        name = b["name"]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") != "median":
                continue
            name = b["run_name"]
        elif name in rows:
            continue
        rows[name] = b
        # "BM_X/iterations:N" and "BM_X/real_time" are also found as "BM_X".
        rows.setdefault(name.split("/")[0], b)
    return rows


def ns(row):
    """Real time per iteration in ns (benchmark's unit-aware)."""
    unit = row.get("time_unit", "ns")
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
    return row["cpu_time"] * scale, row["real_time"] * scale


def verdict(ok):
    return "MET" if ok else "MISSED"


def engine_report(path):
    with open(path) as f:
        bench = json.load(f)
    rows = median_rows(bench)
    ctx = bench.get("context", {})
    print("### Machine\n")
    load = ctx.get("load_avg") or []
    print("%s CPUs at %s MHz (host %s), load average %s at start; %s; libbenchmark "
          "build type %s (Debian's; the benchmarked code is -c opt).\n" % (
              ctx.get("num_cpus", "?"), ctx.get("mhz_per_cpu", "?"),
              ctx.get("host_name", "?"), " ".join("%.2f" % x for x in load) or "?",
              ctx.get("date", "?"), ctx.get("library_build_type", "?")))
    print("### Evaluate, scaling small -> large -> xlarge (medians)\n")
    print("| tenant | Evaluate ns/op | p50 ns | p90 ns | p99 ns | p99.9 ns | allocs/eval | "
          "compile ms | compiled bytes | tenants per GiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    per = {}
    for size in ("Small", "Large", "XLarge"):
        ev = rows.get("BM_Evaluate_" + size)
        lat = rows.get("BM_EvaluateLatency_" + size)
        comp = rows.get("BM_Compile_" + size)
        if ev is None:
            continue
        cpu, _ = ns(ev)
        per[size] = {"ev": cpu, "lat": lat, "comp": comp, "allocs": ev.get("allocs_per_eval")}
        print("| %s | %.0f | %s | %s | %s | %s | %.3f | %s | %s | %s |" % (
            size.lower(), cpu,
            "%.0f" % lat["p50_ns"] if lat else "-",
            "%.0f" % lat["p90_ns"] if lat else "-",
            "%.0f" % lat["p99_ns"] if lat else "-",
            "%.0f" % lat["p999_ns"] if lat else "-",
            ev.get("allocs_per_eval", float("nan")),
            "%.1f" % (ns(comp)[0] / 1e6) if comp else "-",
            "%.0f" % comp["compiled_bytes"] if comp else "-",
            "%.0f" % comp["tenants_per_GiB"] if comp else "-"))
    print()
    floor = rows.get("BM_Floor_Large")
    targets = []
    if floor and "Large" in per:
        ratio = per["Large"]["ev"] / ns(floor)[0]
        print("Floor (hand-written decision, large): %.0f ns/op; engine/floor = **%.2f**\n"
              % (ns(floor)[0], ratio))
        targets.append(("Large Evaluate <= 2x floor", "%.2fx" % ratio, ratio <= 2))
    if "Large" in per and per["Large"]["lat"]:
        lat = per["Large"]["lat"]
        targets.append(("Large p50 <= 500 ns", "%.0f ns" % lat["p50_ns"], lat["p50_ns"] <= 500))
        targets.append(("Large p99 <= 2 us", "%.0f ns" % lat["p99_ns"], lat["p99_ns"] <= 2000))
    if "Large" in per and per["Large"]["allocs"] is not None:
        a = per["Large"]["allocs"]
        targets.append(("Large 0 allocations per evaluation", "%.3f" % a, a == 0))
    if "Small" in per and "XLarge" in per:
        r = per["XLarge"]["ev"] / per["Small"]["ev"]
        print("xlarge/small cost ratio: **%.2f**\n" % r)
        targets.append(("xlarge/small <= 2", "%.2f" % r, r <= 2))
    comp_l = per.get("Large", {}).get("comp")
    if comp_l:
        ms = ns(comp_l)[0] / 1e6
        targets.append(("Compile large <= 100 ms", "%.1f ms" % ms, ms <= 100))
    comp_s = per.get("Small", {}).get("comp")
    if comp_s:
        n = comp_s["tenants_per_GiB"]
        targets.append(("1,000 small tenants fit in 1 GiB", "%.0f per GiB" % n, n >= 1000))
    t1 = rows.get("BM_Throughput_Large/real_time/threads:1")
    t2 = rows.get("BM_Throughput_Large/real_time/threads:2")
    if t1 and t2:
        # Per thread CPU time of one batch of 100 -> decisions per CPU-second.
        c1 = 100 / (ns(t1)[0] / 1e9)
        c2 = 100 / (ns(t2)[0] / 1e9)
        print("In-process throughput, large, batches of 100 (wall clock): 1 thread %.0f "
              "decisions/s, 2 threads %.0f decisions/s (x%.2f); per CPU-second of each "
              "thread: %.0f and %.0f decisions (the wall-clock figure shows how much CPU "
              "the shared machine gave us).\n" % (
                  t1["items_per_second"], t2["items_per_second"],
                  t2["items_per_second"] / t1["items_per_second"], c1, c2))
    return targets


def loadgen_report(paths):
    targets = []
    print("### Sidecar (loadgen; one run per configuration, each phase "
          "closed-loop for the given duration)\n")
    modes = set()
    print("| config | phase | QPS | decisions/s | p50 us | p90 us | p99 us | p99.9 us | failed "
          "| answers checked | CPU us/call client | CPU us/call server |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        config = "c=%d ch=%d%s%s%s" % (
            run["concurrency"], run["channels"],
            " batch=%d" % run["batch"] if run["batch"] else "",
            " reload=%dms" % run["reload_every_ms"] if run["reload_every_ms"] else "",
            " omit_explanation" if run.get("omit_explanation") else "")
        if run.get("decode_answers", True):
            modes.add("typed client, every answer decoded (--decode_answers)")
        else:
            modes.add("generic client, raw answers, 1 in %d decoded and checked"
                      % run.get("decode_every", 1))
        phases = {p["phase"]: p for p in run["phases"]}
        for p in run["phases"]:
            server_cpu = p.get("server_cpu_us_per_call", -1)
            print("| %s | %s | %.0f | %.0f | %.1f | %.1f | %.1f | %.1f | %d | %s | %s | %s |" % (
                config, p["phase"], p["qps"], p["decisions_per_s"], p["p50_us"],
                p["p90_us"], p["p99_us"], p["p999_us"], p["failed"],
                p.get("answers_checked", "-"),
                "%.1f" % p["client_cpu_us_per_call"] if "client_cpu_us_per_call" in p else "-",
                "%.1f" % server_cpu if server_cpu >= 0 else "-"))
        noop, ev = phases.get("noop"), phases.get("evaluate")
        plain = not run["batch"] and not run["reload_every_ms"]
        if plain and noop and ev and noop["qps"] > 0 and noop["p99_us"] > 0:
            q = ev["qps"] / noop["qps"]
            p = ev["p99_us"] / noop["p99_us"]
            targets.append(("Sidecar %s: QPS >= 0.9x noop" % config, "%.2fx" % q, q >= 0.9))
            if noop.get("server_cpu_us_per_call", -1) > 0 and ev.get("server_cpu_us_per_call", -1) > 0:
                c = ((noop["client_cpu_us_per_call"] + noop["server_cpu_us_per_call"]) /
                     (ev["client_cpu_us_per_call"] + ev["server_cpu_us_per_call"]))
                notes.append("%s: noop/evaluate CPU per call (client + server) = %.2f "
                             "(tracks the QPS ratio when both processes fill their cores; "
                             "see bench/README.md)"
                             % (config, c))
            targets.append(("Sidecar %s: p99 <= 1.15x noop" % config, "%.2fx" % p, p <= 1.15))
        b = phases.get("batch")
        if b:
            targets.append(("Sidecar %s: >= 500k decisions/s" % config,
                            "%.0f/s" % b["decisions_per_s"], b["decisions_per_s"] >= 500000))
        r = phases.get("reload")
        if r and ev and ev["p99_us"] > 0:
            x = r["p99_us"] / ev["p99_us"]
            targets.append(("Sidecar %s: reload p99 <= 1.5x" % config, "%.2fx" % x, x <= 1.5))
            targets.append(("Sidecar %s: reloads fail no call (%d versions served)"
                            % (config, r["versions_seen"]), "%d failed" % r["failed"],
                            r["failed"] == 0))
    print()
    for m in sorted(modes):
        print("- loadgen: " + m)
    for n in notes:
        print("- " + n)
    if notes or modes:
        print()
    return targets


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    targets = engine_report(argv[1]) if argv[1] != "-" else []
    if len(argv) > 2:
        targets += loadgen_report(argv[2:])
    print("### Targets\n")
    print("| target | measured | |")
    print("|---|---|---|")
    for name, value, ok in targets:
        print("| %s | %s | %s |" % (name, value, verdict(ok)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
