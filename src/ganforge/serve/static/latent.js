// ganforge serve: the latent panels (serve/latent.py, docs/latent.md). Sliders named by attribute beside the
// principal directions, and projection of a held-out test image or an uploaded PNG, whose latent the sliders
// then edit. The current latent is sample A of the grid (the first one clicked) or the newest projection.
"use strict";

(() => {
  const EDIT_DELAY_MS = 80; // wait this long after a slider stops before asking for the edit
  const TEST_IMAGES = 8; // the strip of held-out test images
  const byId = (id) => document.getElementById(id);
  const panel = { info: null, source: null, directions: null, timer: null, requests: 0 };

  async function request(path, params = {}, options = {}) {
    const url = new URL(path, window.location.origin);
    for (const [key, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
    }
    const response = await fetch(url, options);
    const body = await response.json();
    if (!response.ok) throw new Error(body.hint ? `${body.error} (${body.hint})` : body.error);
    return body;
  }

  function say(id, error) {
    // one line in the panel's own message box; null hides it
    const box = byId(id);
    box.textContent = error ? error.message || String(error) : "";
    box.hidden = !error;
  }

  // -- the panels ------------------------------------------------------------------------------------------

  function attributesSection() {
    const section = document.createElement("section");
    section.id = "attributes";
    section.innerHTML = `<h2>Attribute directions <small>(by name, from measured samples)</small></h2>
      <p id="attribute-message" class="error" role="alert" hidden></p>
      <div id="attribute-body" class="row" hidden>
        <figure>
          <img id="attribute-image" class="latent-image" alt="the current latent moved along the named directions" hidden>
          <figcaption id="attribute-source">Pick a sample above, or project an image below.</figcaption>
        </figure>
        <div>
          <div id="attribute-sliders"></div>
          <button id="attribute-reset" type="button">Reset</button>
          <p id="attribute-status" class="hint"></p>
          <table id="attribute-measured" class="measured"></table>
        </div>
      </div>`;
    byId("directions").after(section);
    return section;
  }

  function projectionSection(info) {
    const section = document.createElement("section");
    section.id = "projection";
    const settings = info.projection;
    const [channels, height, width] = settings.shape || [1, "H", "W"];
    section.innerHTML = `<h2>Projection <small>(a real image into the latent space)</small></h2>
      <p class="hint">Click a held-out test image to find the latent whose image matches it, then edit it with the
        attribute sliders. The explorer runs ${settings.starts} starts of ${settings.steps} steps (the best of
        ${settings.candidates} random latents each), fewer than <code>ganforge project</code>'s
        ${settings.defaults.starts} of ${settings.defaults.steps}, so that it answers while you wait.</p>
      <p id="projection-message" class="error" role="alert" hidden></p>
      <div id="projection-body">
        <div id="projection-tests" class="strip"></div>
        <div class="controls">
          <label>or upload a PNG of ${width} x ${height} pixels (${channels === 1 ? "grey" : "colour"})
            <input id="projection-upload" type="file" accept="image/png"></label>
        </div>
        <div class="row">
          <figure><img id="projection-target" class="latent-image" alt="the image projected" hidden>
            <figcaption>the image</figcaption></figure>
          <figure><img id="projection-image" class="latent-image" alt="G's image of the projected latent" hidden>
            <figcaption id="projection-caption">its projection</figcaption></figure>
        </div>
      </div>`;
    byId("attributes").after(section);
    return section;
  }

  function buildSliders(info) {
    const limit = info.limits.amount;
    byId("attribute-sliders").replaceChildren(
      ...info.attributes.map((name) => {
        const label = document.createElement("label");
        label.innerHTML = `<span class="name">${name}</span>
          <input type="range" min="${-limit}" max="${limit}" step="0.5" value="0" data-attribute="${name}">
          <output>0</output> <small>sd</small>`;
        const input = label.querySelector("input");
        input.addEventListener("input", () => {
          label.querySelector("output").textContent = input.value;
          clearTimeout(panel.timer);
          panel.timer = setTimeout(edit, EDIT_DELAY_MS);
        });
        return label;
      }),
    );
    byId("attribute-reset").addEventListener("click", () => {
      for (const label of byId("attribute-sliders").children) {
        label.querySelector("input").value = "0";
        label.querySelector("output").textContent = "0";
      }
      edit();
    });
  }

  // -- editing ---------------------------------------------------------------------------------------------

  function amounts() {
    return [...byId("attribute-sliders").querySelectorAll("input")].map((input) => input.value).join(",");
  }

  async function ensureDirections() {
    if (panel.directions) return;
    byId("attribute-status").textContent = "finding the directions (a few seconds, once per checkpoint)…";
    panel.directions = await request("/api/latent/directions");
    for (const row of panel.directions.attributes) {
      const input = byId("attribute-sliders").querySelector(`input[data-attribute="${row.name}"]`);
      input.title = `over ${panel.directions.pool} samples, ${row.name} is ${row.mean.toPrecision(3)} ` +
        `+- ${row.std.toPrecision(3)} ${row.unit}; 1 sd moves the latent by ${row.sigma.toFixed(2)}`;
    }
    for (const [name, reason] of Object.entries(panel.directions.skipped)) {
      const input = byId("attribute-sliders").querySelector(`input[data-attribute="${name}"]`);
      input.disabled = true;
      input.title = reason;
    }
    byId("attribute-status").textContent =
      `directions from ${panel.directions.pool} measured samples (${panel.directions.seconds} s)`;
  }

  function sourceParams() {
    const source = panel.source;
    if (source.kind === "projection") return { projection: source.key };
    return { seed: source.seed, n: source.n, index: source.index, label: source.label };
  }

  async function edit() {
    if (!panel.source) return;
    const ticket = ++panel.requests; // an older reply arriving late must not overwrite a newer one
    try {
      await ensureDirections();
      const reply = await request("/api/latent/edit", { amounts: amounts(), ...sourceParams() });
      if (ticket !== panel.requests) return;
      say("attribute-message", null);
      const image = byId("attribute-image");
      image.src = reply.image;
      image.hidden = false;
      image.dataset.amounts = amounts();
      showMeasured(reply);
    } catch (error) {
      if (ticket === panel.requests) say("attribute-message", error);
    }
  }

  function showMeasured(reply) {
    const units = panel.info.units;
    const rows = Object.entries(reply.measured).map(([name, value]) =>
      `<tr data-attribute="${name}"><th>${name}</th><td>${value.toFixed(2)}</td><td>${units[name]}</td></tr>`);
    if (reply.classifier) {
      const { class: read, confidence } = reply.classifier;
      rows.push(`<tr data-attribute="class"><th>class</th><td>${read}</td><td>p = ${confidence.toFixed(2)}</td></tr>`);
    }
    byId("attribute-measured").innerHTML = `<caption>measured on this image</caption>${rows.join("")}`;
  }

  function useSource(source, caption) {
    panel.source = source;
    byId("attribute-source").textContent = caption;
    edit();
  }

  function followGrid() {
    // app.js handles a click on a sample first (the picture's own listener); then sample A is state.selected[0]
    byId("grid").addEventListener("click", () => {
      if (typeof state === "undefined" || !state.selected.length) return;
      const index = state.selected[0];
      const label = byId("label").value;
      useSource({ kind: "grid", seed: state.seed, n: state.n, index, label },
        `sample ${index} of the grid (seed ${state.seed})`);
    });
  }

  // -- projection ------------------------------------------------------------------------------------------

  function showProjection(reply, name) {
    say("projection-message", null);
    byId("projection-target").src = reply.target;
    byId("projection-image").src = reply.image;
    byId("projection-target").hidden = byId("projection-image").hidden = false;
    byId("projection-caption").textContent =
      `its projection: PSNR ${reply.psnr.toFixed(1)} dB, ${reply.seconds.toFixed(1)} s`;
    byId("projection-image").dataset.key = reply.key;
    useSource({ kind: "projection", key: reply.key }, `the projection of ${name}`);
  }

  async function projectTest(index) {
    byId("projection-caption").textContent = "projecting…";
    try {
      showProjection(await request("/api/latent/project", { test: index }), `test image ${index}`);
    } catch (error) {
      byId("projection-caption").textContent = "its projection";
      say("projection-message", error);
    }
  }

  async function projectUpload(file) {
    if (file.size > panel.info.limits.upload_bytes) {
      say("projection-message", new Error(`${file.name} is ${file.size.toLocaleString()} bytes, over the ` +
        `${panel.info.limits.upload_bytes.toLocaleString()} read (upload a PNG of the run's size)`));
      return;
    }
    byId("projection-caption").textContent = "projecting…";
    try {
      const reply = await request("/api/latent/upload", {}, {
        method: "POST", body: file, headers: { "Content-Type": "image/png" },
      });
      showProjection(reply, file.name);
    } catch (error) {
      byId("projection-caption").textContent = "its projection";
      say("projection-message", error);
    }
  }

  async function loadTests() {
    try {
      const reply = await request("/api/latent/tests", { n: TEST_IMAGES });
      byId("projection-tests").replaceChildren(...reply.images.map((url, index) => {
        const image = document.createElement("img");
        image.src = url;
        image.alt = `test image ${index}`;
        image.title = `held-out test image ${index} of ${reply.dataset}: click to project it`;
        image.className = "tile";
        image.addEventListener("click", () => projectTest(index));
        return image;
      }));
    } catch (error) {
      say("projection-message", error); // no test split (a folder of images): uploading still works
    }
  }

  // -- start -----------------------------------------------------------------------------------------------

  async function start() {
    let info;
    try {
      info = await request("/api/latent/info");
    } catch (error) {
      return; // an older server: no latent panels
    }
    panel.info = info;
    attributesSection();
    if (!info.supported) {
      say("attribute-message", new Error(info.message));
      return;
    }
    byId("attribute-body").hidden = false;
    buildSliders(info);
    followGrid();
    projectionSection(info);
    if (!info.projection.supported) {
      byId("projection-body").hidden = true;
      say("projection-message", new Error(info.projection.message));
      return;
    }
    byId("projection-upload").addEventListener("change", (event) => {
      if (event.target.files.length) projectUpload(event.target.files[0]);
    });
    if (info.projection.tests) await loadTests();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
