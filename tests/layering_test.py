#!/usr/bin/env python3
"""The rooms' include rule: each directory may include only from the rooms it lists, so the
layout stays the data flow scenario -> engine (sim | live) -> results DB -> analysis, and the
two engines share only driver/ (live/ includes nothing from sim/).
Usage: layering_test.py SOURCE_ROOT. Prints every include that breaks the rule; exit 1 if any."""
import pathlib
import re
import sys

# room -> the rooms (directories) or single headers it may include, besides itself.
ALLOWED = {
    "common": set(),
    "node_core": {"common"},  # sans-IO: no engine, no I/O, no clock
    "faults": {"common", "node_core", "sim/latency.h"},
    "scenario": {"common", "node_core", "faults", "sim/latency.h"},
    "store": {"common", "node_core", "faults", "scenario", "sim/latency.h", "sim/wire_observer.h"},
    "driver": {"common", "node_core", "faults", "scenario", "store", "sim/latency.h"},
    "sim": {"common", "node_core", "faults", "scenario", "store", "driver"},
    # The two engines share driver/ and nothing else: live/ includes nothing from sim/.
    "live": {"common", "node_core", "faults", "scenario", "store", "driver"},
    "analysis": {"common", "node_core", "faults", "scenario", "store", "driver", "sim"},
}
# node_core is sans-IO and deterministic: no I/O, no clocks, no threads, no unseeded randomness,
# no environment (the engines and tools may use all of these).
NODE_CORE_FORBIDDEN_SYSTEM = re.compile(
    r"#include\s*<(uv\.h|sqlite3\.h|chrono|thread|ctime|time\.h|random|fstream|iostream|"
    r"cstdio|stdio\.h|unistd\.h|sys/[a-z_]+\.h|netinet/[a-z_]+\.h|arpa/[a-z_]+\.h|future|mutex)>")
NODE_CORE_FORBIDDEN_CALL = re.compile(r"\b(getenv|secure_getenv|std::rand|srand|random_device|"
                                      r"system_clock|steady_clock|clock_gettime|gettimeofday)\b")
INCLUDE = re.compile(r'#include\s*"([a-z_]+)/([A-Za-z0-9_./]+)"')


def violations(root: pathlib.Path):
    for room, allowed in sorted(ALLOWED.items()):
        for path in sorted((root / room).rglob("*")):  # faults/kinds/ too
            if path.suffix not in (".h", ".cc"):
                continue
            for lineno, line in enumerate(path.read_text().splitlines(), 1):
                if room == "node_core" and NODE_CORE_FORBIDDEN_SYSTEM.search(line):
                    yield f"{path.relative_to(root)}:{lineno}: node_core includes I/O: {line.strip()}"
                if room == "node_core" and NODE_CORE_FORBIDDEN_CALL.search(line.split("//")[0]):
                    yield (f"{path.relative_to(root)}:{lineno}: node_core reads a clock, the "
                           f"environment or unseeded randomness: {line.strip()}")
                m = INCLUDE.search(line)
                if not m:
                    continue
                target_room, header = m.group(1), f"{m.group(1)}/{m.group(2)}"
                if target_room == room or target_room in allowed or header in allowed:
                    continue
                yield f"{path.relative_to(root)}:{lineno}: {room}/ may not include {header}"


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    missing = [room for room in ALLOWED if not (root / room).is_dir()]
    if missing:
        print(f"layering: no such room(s): {', '.join(missing)}")
        return 1
    found = list(violations(root))
    for v in found:
        print(v)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
