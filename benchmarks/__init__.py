"""ganforge's benchmark suite, run by hand (``python -m benchmarks`` or ``make bench``); see docs/benchmarks.md."""
