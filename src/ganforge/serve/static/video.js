// ganforge serve: the video panel. Held-out test clips of a video run: context | prediction | truth, playing.
"use strict";

(() => {
  const FRAME_MS = 300; // one frame of the clips
  const ROWS = [["context", "context"], ["prediction", "prediction"], ["truth", "truth"]];

  function panel() {
    const section = document.createElement("section");
    section.id = "video";
    section.innerHTML = '<h2>Video prediction <small id="video-step"></small></h2>' +
      '<p class="hint">Held-out test clips: the context frames looping | the prediction | the truth.</p>' +
      '<div id="video-clips"></div>';
    document.querySelector("main").prepend(section);
    return section;
  }

  async function load() {
    const response = await fetch(new URL("/api/video/clips?n=4", window.location.origin));
    if (!response.ok) return; // not a video run (400) or no checkpoint yet (503): no panel
    const body = await response.json();
    panel();
    document.getElementById("video-step").textContent = `step ${body.step}`;
    const holder = document.getElementById("video-clips");
    const players = [];
    body.context.forEach((_, clip) => {
      const row = document.createElement("div");
      row.className = "row";
      for (const [key, label] of ROWS) {
        const figure = document.createElement("figure");
        const image = document.createElement("img");
        image.alt = `${label} of clip ${clip + 1}`;
        image.width = 96;
        image.style.imageRendering = "pixelated";
        const caption = document.createElement("figcaption");
        caption.textContent = label;
        figure.append(image, caption);
        row.append(figure);
        players.push({ image, frames: body[key][clip] });
      }
      holder.append(row);
    });
    let tick = 0;
    const show = () => {
      for (const player of players) player.image.src = player.frames[tick % player.frames.length];
      tick += 1;
    };
    show();
    window.setInterval(show, FRAME_MS);
  }

  load();
})();
