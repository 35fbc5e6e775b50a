"""The explorer's text box for a text2image run: a caption in, stage I's and stage II's pictures out.

    GET /api/text/info                          {"text": true} for a text2image run
    GET /api/text?caption=...&n=4&seed=0        {"stage1": [data URLs], "stage2": [...], "step": ...}

A caption is checked like ``ganforge generate --text`` checks it (empty, too long, unknown words: an error
reply of one line, status 400). ``static/text.js`` draws the panel.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query

from ganforge.data.captions import MAX_CHARS
from ganforge.errors import GanforgeError
from ganforge.serve.explorer import Explorer, NoModel, image_urls
from ganforge.tasks import task_of

MAX_TEXT_IMAGES = 16


def add_text_routes(app: FastAPI, explorer: Explorer) -> None:
    """Register the text box's two endpoints on ``app``."""

    @app.get("/api/text/info")
    def text_info() -> dict[str, Any]:
        task = task_of(explorer.run.read_config())
        text = task is not None and task.draws_captions
        return {"text": text, "max_images": MAX_TEXT_IMAGES, "max_chars": MAX_CHARS}

    @app.get("/api/text")
    def text_pictures(
        caption: str = Query(..., max_length=MAX_CHARS, description="the caption"),
        n: int = Query(4, ge=1, le=MAX_TEXT_IMAGES, description="pictures"),
        seed: int = Query(0, ge=0, le=2**31 - 1, description="noise seed"),
    ) -> dict[str, Any]:
        try:
            trained = explorer.model().trained
        except NoModel as error:
            raise GanforgeError(f"no model to draw with yet: {error}", "wait for training's first checkpoint") from None
        low, high = trained.generate_text([caption], n, seed, stages=True)
        return {"caption": caption, "step": trained.step, "stage1": image_urls(low), "stage2": image_urls(high)}
