"""Prints the before/after table of scripts/speed-compare.sh from its Google Benchmark JSON files.

Each benchmark's rate (events_per_s or seeds_per_s) is the median over the rounds, per side; the
ratio is head / base. events_per_seed shows whether the work per seed changed.
"""
import json
import statistics
import sys


def rates(work, side, rounds):
    out = {}
    for bench in ("sim_bench", "catalogue_bench"):
        for r in range(1, rounds + 1):
            with open(f"{work}/{side}-{bench}-{r}.json") as f:
                for b in json.load(f)["benchmarks"]:
                    rate = b.get("events_per_s", b.get("seeds_per_s"))
                    if rate is None:
                        continue
                    entry = out.setdefault(b["name"], {"rates": [], "events": None})
                    entry["rates"].append(rate)
                    entry["events"] = b.get("events_per_seed")
    return out


def main():
    work, rounds, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    before, after = rates(work, "base", rounds), rates(work, "head", rounds)
    print(f"{'benchmark':40} {'before':>12} {'after':>12} {'ratio':>6}  events/seed before -> after")
    print(f"{'(per second; before = ' + base + ')':40}")
    for name, a in after.items():
        b = before.get(name)
        if b is None:
            print(f"{name:40} {'-':>12} {statistics.median(a['rates']):12.0f}")
            continue
        mb, ma = statistics.median(b["rates"]), statistics.median(a["rates"])
        work_note = ""
        if a["events"] is not None and b["events"] is not None:
            work_note = f"  {b['events']:.0f} -> {a['events']:.0f}"
            if abs(a["events"] - b["events"]) > 0.01 * b["events"]:
                work_note += " (less work per seed)" if a["events"] < b["events"] else " (more)"
        print(f"{name:40} {mb:12.0f} {ma:12.0f} {ma / mb:6.2f}{work_note}")


if __name__ == "__main__":
    main()
