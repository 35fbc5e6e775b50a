"""python -m benchmarks [SECTION] [options]: the whole suite, or one section (see docs/benchmarks.md).

python -m benchmarks              # the suite: throughput table, switches, evaluation, sampling, sweep
python -m benchmarks throughput   # one section; --help on any section lists its options
python -m benchmarks quality      # time to quality (about 15 minutes; not part of the default suite)
python -m benchmarks profile      # where the default MLP step spends its time
python -m benchmarks parzen       # Table 1 of the 2014 GAN paper rerun (about 10 minutes; docs/metrics.md)
"""

from __future__ import annotations

import sys


def main() -> None:
    from benchmarks import parzen, profile, quality, suite

    sections = {"quality": quality.main, "profile": profile.main, "parzen": parzen.main, **suite.SECTIONS}
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        print("sections:", ", ".join(sections))
        return
    if args and not args[0].startswith("-"):
        name = args[0]
        if name not in sections:
            sys.exit(f"unknown section {name!r}; choose one of: {', '.join(sections)}")
        sections[name](args[1:])
        return
    suite.main(args)


if __name__ == "__main__":
    main()
