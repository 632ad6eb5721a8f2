"""Prints the figures the benchmarks recorded as one table: ``python bench/table.py RESULTS``."""

import json
import sys


def main() -> None:
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    columns = ("what", "figure", "goal", "measured")
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in columns] if rows else [len(c) for c in columns]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(row[c]).ljust(w) for c, w in zip(columns, widths, strict=True)))


if __name__ == "__main__":
    main()
