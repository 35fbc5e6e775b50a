"""The explorer's video panel: held-out test clips of a video run with its predictions, as PNG frames.

    GET /api/video/clips?n=4   -> {"step", "context": [[url, ...], ...], "prediction": [...], "truth": [...]}

One list of PNG data URLs per clip and row; the page (``static/video.js``) plays the three rows side by side.
A run that is not a video run answers 400 with one line, and the panel stays hidden.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from fastapi import FastAPI, Query
from starlette.exceptions import HTTPException

from ganforge.config import Config
from ganforge.data.moving_mnist import VideoData, unstack
from ganforge.serve.explorer import Explorer, NoModel, image_urls
from ganforge.tasks import task_of
from ganforge.tasks.video import VideoTask

MAX_CLIPS = 8


def add_video_routes(app: FastAPI, explorer: Explorer, cfg: Config) -> None:
    """Register ``/api/video/clips`` on ``app`` for the run ``explorer`` serves (config ``cfg``)."""
    task = task_of(cfg)
    lock = threading.Lock()  # G is shared between requests
    cache: dict[str, VideoData] = {}

    @app.get("/api/video/clips")
    def clips(n: int = Query(4, ge=1, le=MAX_CLIPS, description="test clips")) -> dict[str, Any]:
        """The first ``n`` test clips: context, prediction and truth frames as PNG data URLs."""
        if not isinstance(task, VideoTask):
            raise HTTPException(400, "this run does not predict video frames; the video panel is for video runs")
        try:
            loaded = explorer.model()
        except NoModel as error:
            raise HTTPException(503, f"no model yet: {error}") from None
        with lock:
            if "test" not in cache:  # generated once: the fixed, seeded test set
                test = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, split="test", limit=None))
                cache["test"] = task.load_data(test, "cpu")
            data = cache["test"]
            examples = data.examples(n)
            channels = data.shape[0]
            context, truth = unstack(examples.source, channels), unstack(examples.target, channels)
            prediction = task.predict(loaded.trained.gan, context, truth.shape[1])
        return {
            "step": loaded.trained.step,
            "context": [image_urls(clip) for clip in context],
            "prediction": [image_urls(clip) for clip in prediction],
            "truth": [image_urls(clip) for clip in truth],
        }
