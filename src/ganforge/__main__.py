"""``python -m ganforge``: the command line (so ``torchrun -m ganforge train`` works too)."""

from ganforge.cli import main

main()
