"""The compare loop of the line-protocol differential tests (rtpproxy_diff.py,
mediaproxy_diff.py): each scenario's commands go to a fresh rtpengine 10.5
and a fresh ngmediad, and their normalised replies must be equal, apart from
the deliberate differences listed per scenario."""
import argparse
import os
import sys


def main(scenarios, deliberate, daemon, run, normalise, ranges, same=lambda w, g: w == g):
    """`daemon(path, is_rtpengine, port_min, port_max)` starts one (raising
    RuntimeError when it does not answer); `ranges` holds the media port
    ranges of rtpengine and ngmediad. A daemon that does not start fails the
    scenario: two errors are not a match."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--ngmediad", required=True)
    ap.add_argument("--rtpengine", default="/usr/bin/rtpengine")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if not os.access(a.ngmediad, os.X_OK):
        print(f"usage: ngmediad not found at {a.ngmediad}", file=sys.stderr)
        return 2
    if not os.access(a.rtpengine, os.X_OK):
        print(f"SKIP: {a.rtpengine} (Debian's rtpengine-daemon, the oracle) is not installed")
        return 77
    passed = failed = 0
    for name, steps in scenarios.items():
        results, errors = {}, {}
        for label, path, (lo, hi) in (("rtpengine", a.rtpengine, ranges[0]),
                                      ("ngmediad", a.ngmediad, ranges[1])):
            d = None
            try:
                d = daemon(path, label == "rtpengine", lo, hi)
                results[label] = normalise(run(d, steps), lo, hi)
            except RuntimeError as e:
                errors[label] = str(e)
            finally:
                if d:
                    if a.verbose:
                        print(f"--- {label} log ---\n{d.output()[-3000:]}")
                    d.stop()
        if errors:
            failed += 1
            print(f"FAIL {name}: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
            continue
        want, got = results["rtpengine"], results["ngmediad"]
        known = deliberate.get(name, {})
        if len(want) == len(got) and all(same(w, g) or i in known
                                         for i, (w, g) in enumerate(zip(want, got))):
            passed += 1
            for i in sorted(known):
                if want[i] != got[i]:
                    print(f"  deliberate: {name}[{i}] rtpengine {want[i]!r}, "
                          f"ngmediad {got[i]!r}: {known[i]}")
            print(f"PASS {name} ({len(want)} replies)")
        else:
            failed += 1
            print(f"FAIL {name}")
            for i in range(max(len(want), len(got))):
                w = want[i] if i < len(want) else "<none>"
                g = got[i] if i < len(got) else "<none>"
                print(f"  {'  ' if same(w, g) else '!='} rtpengine: {w!r:50} ngmediad: {g!r}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
