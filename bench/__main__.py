"""Entry point of ``make bench``: a placeholder until the benchmark issue lands."""

import sys


def main() -> int:
    """Say that no benchmark exists yet, and succeed."""
    print("bench: no benchmarks yet", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
