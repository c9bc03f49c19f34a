#!/usr/bin/env python3
"""Lists the tests ctest skipped and checks them against tests/allowed-skips.txt.

  check_skips.py JUNIT_XML [ALLOWED_FILE]

JUNIT_XML is what `ctest --output-junit` wrote. Each skipped test is printed
with its reason (the output line that follows GoogleTest's "Skipped", or
the line that names the reason). A skip that no line of ALLOWED_FILE allows
fails the check when the CI environment variable is set (as in .ci/run);
elsewhere it is printed as a warning only, because a developer's machine
may lack what the tests need (root, network namespaces, Kamailio).
"""
import fnmatch
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))


def load_allowed(path):
    allowed = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pattern, _, why = line.partition(" ")
            if not why.strip():
                sys.exit("%s: '%s' has no reason; every allowed skip says why" % (path, pattern))
            allowed.append((pattern, why.strip()))
    return allowed


def skip_reason(out):
    lines = [l.strip() for l in (out or "").splitlines()]
    for i, l in enumerate(lines):
        if l.endswith("Skipped") and i + 1 < len(lines) and lines[i + 1]:
            return lines[i + 1]
    for l in lines:
        if "skip" in l.lower():
            return l
    return "(no reason printed)"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    allowed = load_allowed(sys.argv[2] if len(sys.argv) == 3 else os.path.join(HERE, "allowed-skips.txt"))
    skipped = []
    for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
        if case.find("skipped") is None and case.get("status") != "notrun":
            continue
        out = case.find("system-out")
        skipped.append((case.get("name"), skip_reason(out.text if out is not None else "")))
    strict = bool(os.environ.get("CI"))
    bad = 0
    for name, reason in skipped:
        rule = next((why for pat, why in allowed if fnmatch.fnmatchcase(name, pat)), None)
        if rule:
            print("skip allowed     %s: %s (allowed: %s)" % (name, reason, rule))
        else:
            bad += 1
            print("skip NOT ALLOWED %s: %s" % (name, reason))
    print("skips: %d, allowed %d, not allowed %d%s" % (
        len(skipped), len(skipped) - bad, bad, "" if strict or not bad else " (not enforced: CI is not set)"))
    return 1 if strict and bad else 0


if __name__ == "__main__":
    sys.exit(main())
