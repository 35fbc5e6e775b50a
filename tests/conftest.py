"""Shared test set-up: the suite never touches the network, and plots render off-screen."""

import os

os.environ["GANFORGE_OFFLINE"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
