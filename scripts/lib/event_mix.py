"""Events by kind, from a callgrind profile: what World::dispatch ran, counted by callgrind's
call counts of each scheduled callable (UniqueFunction's ::call). Used by scripts/event-mix.sh.
  python3 scripts/lib/event_mix.py NAME SEEDS < <(callgrind_annotate --tree=calling FILE)
"""
import collections
import re
import sys

DISPATCH = re.compile(r"^ *[0-9,]+ \([ 0-9.]+%\)  \*  .*World::dispatch\(")
COUNT = re.compile(r"\((\d[\d,]*)x\)")


def kind(line):
    if "sleep_for" in line:
        return "timer"
    if "sim::call<" in line:
        if "{lambda()#2}>::call" in line:
            return "request"
        if "operator()()::{lambda()#1}>::call" in line:
            return "reply"
        if "{lambda()#1}>::call" in line:
            return "deadline"
    if "apply_" in line:
        return "fault"
    return "other"


def main():
    name, seeds = sys.argv[1], int(sys.argv[2])
    inside = False
    calls = {}  # one callable's calls, however many lines callgrind splits it into
    for line in sys.stdin:
        if DISPATCH.search(line):
            inside = True
            continue
        if inside and not line.strip():
            inside = False
        count = COUNT.search(line)
        if not inside or "::call(void*)" not in line or not count:
            continue
        function = COUNT.sub("", line.split(":", 1)[-1]).split("[")[0].strip()
        calls[function] = max(calls.get(function, 0), int(count.group(1).replace(",", "")))
    by_kind = collections.Counter()
    for function, n in calls.items():
        by_kind[kind(function)] += n
    total = sum(by_kind.values()) or 1
    shares = " ".join(f"{k} {100 * v / total:.0f}%" for k, v in by_kind.most_common())
    print(f"{name}: {total / seeds:.0f} events a seed; {shares}")


if __name__ == "__main__":
    main()
