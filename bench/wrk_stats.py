#!/usr/bin/env python3
"""Reads `wrk --latency` output on stdin and prints `median_ms p99_ms requests_per_s errors`."""
import re
import sys

text = sys.stdin.read()


def ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    if not m:
        raise SystemExit(f"cannot parse latency {value!r}")
    n, unit = float(m.group(1)), m.group(2)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n


p50 = re.search(r"^\s*50%\s+(\S+)", text, re.M)
p99 = re.search(r"^\s*99%\s+(\S+)", text, re.M)
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
errors = 0
for pattern in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors:.*?connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
    m = re.search(pattern, text)
    if m:
        errors += sum(int(g) for g in m.groups())
if not (p50 and p99 and rps):
    sys.stderr.write(text)
    raise SystemExit("wrk output incomplete")
print(f"{ms(p50.group(1)):.3f} {ms(p99.group(1)):.3f} {float(rps.group(1)):.0f} {errors}")
