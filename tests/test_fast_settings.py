"""benchmarks/fast_settings.py: rerunning some rows keeps every other row's figures."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))  # the benchmarks are not an installed package

from benchmarks import fast_settings  # noqa: E402


def test_rerunning_some_rows_keeps_the_others_in_the_rows_order(tmp_path, monkeypatch):
    out = tmp_path / "fast-settings.json"
    old = [{"row": "lr-2e-3", "fid": 106.1}, {"row": "lr-4e-4", "fid": 156.8}, {"row": "gone", "fid": 1.0}]
    out.write_text(json.dumps({"rows": old}))
    monkeypatch.setattr(fast_settings, "OUT", out)
    monkeypatch.setattr(fast_settings, "measure", lambda name: {"row": name, "fid": 99.0})
    rows = fast_settings.main(["--rows", "lr-2e-3"])["rows"]
    assert rows == [{"row": "lr-4e-4", "fid": 156.8}, {"row": "lr-2e-3", "fid": 99.0}]  # ROWS' order; unknown dropped
    assert json.loads(out.read_text())["rows"] == rows
