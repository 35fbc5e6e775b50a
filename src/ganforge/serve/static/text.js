// The text box of a text2image run: a caption in, stage I's and stage II's pictures side by side
// (GET /api/text; serve/text.py). Shown only when /api/text/info says the run draws captions.
(function () {
  "use strict";

  async function getJson(url) {
    const reply = await fetch(url);
    const body = await reply.json();
    if (!reply.ok) throw new Error(body.error || body.detail || `HTTP ${reply.status}`);
    return body;
  }

  function row(title, urls) {
    const figure = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = title;
    figure.appendChild(caption);
    for (const url of urls) {
      const image = document.createElement("img");
      image.src = url;
      image.width = 96;
      image.height = 96;
      image.style.imageRendering = "pixelated";
      image.alt = title;
      figure.appendChild(image);
    }
    return figure;
  }

  async function start() {
    let info;
    try {
      info = await getJson("/api/text/info");
    } catch (error) {
      return;  // an older server: no text box
    }
    if (!info.text) return;
    const section = document.createElement("section");
    section.id = "text";
    section.innerHTML = "<h2>Text to image</h2>";
    const form = document.createElement("form");
    form.className = "controls";
    const input = document.createElement("input");
    input.type = "text";
    input.size = 60;
    input.maxLength = info.max_chars;
    input.value = "a small red sneaker in the top left corner on a white background";
    input.setAttribute("aria-label", "caption");
    const seed = document.createElement("input");
    seed.type = "number";
    seed.min = "0";
    seed.value = "0";
    seed.setAttribute("aria-label", "seed");
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Draw";
    const message = document.createElement("p");
    message.className = "error";
    message.hidden = true;
    const pictures = document.createElement("div");
    form.append(input, seed, button);
    section.append(form, message, pictures);
    document.querySelector("main").prepend(section);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const query = new URLSearchParams({caption: input.value, n: "4", seed: seed.value || "0"});
      try {
        const reply = await getJson(`/api/text?${query}`);
        message.hidden = true;
        pictures.replaceChildren(row("stage I", reply.stage1), row("stage II", reply.stage2));
      } catch (error) {
        message.textContent = error.message;
        message.hidden = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
