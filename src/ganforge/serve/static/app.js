// ganforge serve: the explorer page. Plain JavaScript; talks only to this page's own server (see docs/serve.md).
"use strict";

const POLL_MS = 1500; // how often the live view asks for training progress
const GAME_FRAME_MS = 400; // one frame of the 2-D game animation
const FIELD_LOW = [214, 160, 235]; // D(x) = 0: fake
const FIELD_HIGH = [150, 220, 160]; // D(x) = 1: real
const LOSS_KEYS = [["loss/D", "#1971c2"], ["loss/G", "#e8590c"]];

const $ = (id) => document.getElementById(id);
const state = {
  info: null,
  seed: 0,
  n: 16,
  selected: [], // indices of clicked samples, oldest first (at most two)
  directions: null,
  records: [],
  lastRecords: -1,
  latestSample: null,
  latestGame: null,
  gameSteps: [],
  gameFrames: new Map(),
  gameIndex: 0,
  gamePlaying: true,
  editTimer: null,
};

// -- requests ------------------------------------------------------------------------------------------

async function api(path, params = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
  }
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.hint ? `${body.error} (${body.hint})` : body.error);
  return body;
}

function showError(error) {
  $("error").textContent = error.message || String(error);
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
}

function conditions() {
  // the class and InfoGAN codes the pickers hold, as query parameters
  const codes = [...document.querySelectorAll("#continuous-codes input")].map((input) => input.value);
  return {
    label: $("label").value,
    category: $("category").value,
    codes: codes.some((value) => Number(value) !== 0) ? codes.join(",") : "",
  };
}

function gridParams() {
  return { seed: state.seed, n: state.n, ...conditions() };
}

// -- the run ---------------------------------------------------------------------------------------------

async function loadInfo() {
  const info = await api("/api/info");
  const first = state.info === null;
  state.info = info;
  $("run-name").textContent = info.run;
  $("run-summary").textContent = `${info.model} G and D, ${info.loss} loss, on ${info.dataset}; z in R^${info.z_dim} (${info.prior} prior)`;
  $("steps").textContent = info.steps ?? "–";
  $("model-step").textContent = info.checkpoint_step === null ? "(no checkpoint yet)" : `(checkpoint of step ${info.checkpoint_step})`;
  const points = info.kind === "points";
  for (const section of document.querySelectorAll(".image-only")) section.hidden = points;
  $("grid").hidden = points;
  $("cloud").hidden = !points;
  $("download-grid").hidden = points;
  $("explore-hint").hidden = points;
  if (points) {
    $("count").innerHTML = "<option>500</option><option>1000</option><option>2000</option>";
    $("count").value = "1000";
  }
  state.n = Number($("count").value);
  if (first && info.controls) buildControls(info.controls);
  return info;
}

function buildControls(controls) {
  if (controls.classes) {
    $("class-picker").hidden = false;
    for (let k = 0; k < controls.classes; k++) {
      const name = controls.class_names ? controls.class_names[k] : String(k);
      $("label").add(new Option(name, String(k)));
    }
  }
  if (controls.categorical || controls.continuous) $("codes").hidden = false;
  if (controls.categorical) {
    $("category-picker").hidden = false;
    for (let k = 0; k < controls.categorical; k++) $("category").add(new Option(String(k), String(k)));
  }
  for (let k = 0; k < controls.continuous; k++) {
    const label = document.createElement("label");
    label.innerHTML = `code c${k + 1} <input type="range" min="-2" max="2" step="0.1" value="0">`;
    label.querySelector("input").addEventListener("change", () => drawSamples());
    $("continuous-codes").append(label);
  }
}

// -- samples ---------------------------------------------------------------------------------------------

function tile(url, name, onClick) {
  const box = document.createElement("figure");
  box.className = "tile-box";
  const img = document.createElement("img");
  img.src = url;
  img.alt = name;
  img.className = "tile";
  const save = document.createElement("a");
  save.href = url;
  save.download = `${name}.png`;
  save.className = "save";
  save.textContent = "PNG";
  save.title = "download this picture";
  box.append(img, save);
  if (onClick) img.addEventListener("click", onClick);
  return box;
}

async function drawSamples() {
  if (!state.info || state.info.checkpoint_step === null) return;
  clearError();
  state.seed = Number($("seed").value);
  state.n = Number($("count").value);
  try {
    const reply = await api("/api/samples", gridParams());
    $("model-step").textContent = `(checkpoint of step ${reply.step})`;
    if (state.info.kind === "points") {
      // the real points and the plot's square from the newest game frame, so the cloud reads like the game
      const steps = (await api("/api/frames")).game;
      const reference = steps.length ? await gameFrame(steps[steps.length - 1]).catch(() => null) : null;
      drawPlane($("cloud"), { points: reply.points, reference });
      return;
    }
    state.selected = [];
    const grid = $("grid");
    grid.replaceChildren(
      ...reply.images.map((url, index) =>
        tile(url, `${state.info.run}-seed${state.seed}-${index}`, () => select(index)),
      ),
    );
    grid.dataset.seed = String(state.seed);
    const query = new URLSearchParams(Object.entries(gridParams()).filter(([, value]) => value !== ""));
    $("download-grid").href = `/api/grid.png?${query}`;
    markSelection();
  } catch (error) {
    showError(error);
  }
}

function select(index) {
  const at = state.selected.indexOf(index);
  if (at >= 0) state.selected.splice(at, 1);
  else state.selected.push(index);
  if (state.selected.length > 2) state.selected.shift();
  markSelection();
  if (state.selected.length >= 1) editSample();
  if (state.selected.length === 2) interpolate();
}

function markSelection() {
  [...$("grid").children].forEach((box, index) => {
    const order = state.selected.indexOf(index);
    box.classList.toggle("selected", order >= 0);
    box.querySelector(".order")?.remove();
    if (order >= 0) {
      const badge = document.createElement("span");
      badge.className = "order";
      badge.textContent = order === 0 ? "A" : "B";
      box.append(badge);
    }
  });
}

async function interpolate() {
  if (state.selected.length !== 2) return;
  const [a, b] = state.selected;
  try {
    const reply = await api("/api/interpolate", {
      ...gridParams(), a, b, steps: $("frames").value, mode: $("mode").value,
    });
    $("interp").replaceChildren(
      ...reply.images.map((url, index) => tile(url, `${state.info.run}-${reply.mode}-${a}-${b}-${index}`)),
    );
  } catch (error) {
    showError(error);
  }
}

// -- principal directions --------------------------------------------------------------------------------

async function ensureDirections() {
  if (state.directions) return state.directions;
  state.directions = await api("/api/directions");
  const limit = state.info.limits.alpha;
  $("sliders").replaceChildren(
    ...state.directions.explained.map((share, k) => {
      const label = document.createElement("label");
      label.innerHTML = `PC${k + 1} <input type="range" min="${-limit}" max="${limit}" step="0.25" value="0">
        <output>0</output> <small>${(100 * share).toFixed(1)}% of the first layer's variance</small>`;
      const input = label.querySelector("input");
      input.addEventListener("input", () => {
        label.querySelector("output").textContent = input.value;
        clearTimeout(state.editTimer);
        state.editTimer = setTimeout(editSample, 60);
      });
      return label;
    }),
  );
  return state.directions;
}

async function editSample() {
  if (!state.selected.length) return;
  try {
    await ensureDirections();
    const alphas = [...document.querySelectorAll("#sliders input")].map((input) => input.value).join(",");
    const reply = await api("/api/edit", { ...gridParams(), index: state.selected[0], alphas });
    $("edited").src = reply.image;
    $("edited").hidden = false;
    $("edited-download").href = reply.image;
    $("edited-download").download = `${state.info.run}-seed${state.seed}-${state.selected[0]}-edited.png`;
    $("edited-download").hidden = false;
  } catch (error) {
    showError(error);
  }
}

// -- live training ---------------------------------------------------------------------------------------

async function poll() {
  try {
    const status = await api("/api/status");
    $("step").textContent = status.step;
    $("rate").textContent = status.rate === null ? "–" : status.rate.toFixed(1);
    $("state").textContent = status.training ? "training" : status.finished ? "finished" : "idle";
    $("state").classList.toggle("live", status.training);
    if (status.records !== state.lastRecords) await updateCurves(status);
    if (status.latest_sample !== null && status.latest_sample !== state.latestSample) {
      state.latestSample = status.latest_sample;
      $("live-frame").src = `/api/frames/${status.latest_sample}`;
      $("live-frame").hidden = false;
      $("live-caption").textContent = `samples of the fixed latents at step ${status.latest_sample}`;
    }
    if (status.latest_game !== null && status.latest_game !== state.latestGame) {
      state.latestGame = status.latest_game;
      await updateGameSteps();
    }
    if (state.info && state.info.checkpoint_step === null && status.step > 0) {
      await loadInfo();
      if (state.info.checkpoint_step !== null) drawSamples();
    }
  } catch (error) {
    $("state").textContent = "server unreachable";
    $("state").classList.remove("live");
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

async function updateCurves(status) {
  if (status.records < state.records.length) state.records = []; // rewritten (resume or rollback): start over
  const since = state.records.length ? state.records[state.records.length - 1].step : -1;
  const reply = await api("/api/metrics", { since });
  state.records.push(...reply.records);
  state.lastRecords = status.records;
  drawCurves($("losses"), state.records);
}

function drawCurves(canvas, records) {
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  const pad = { left: 48, right: 12, top: 12, bottom: 28 };
  context.clearRect(0, 0, width, height);
  context.font = "12px system-ui, sans-serif";
  const series = LOSS_KEYS.map(([key, color]) => ({
    key, color, points: records.filter((r) => typeof r[key] === "number").map((r) => [r.step, r[key]]),
  })).filter((s) => s.points.length);
  if (!series.length) {
    context.fillStyle = "#667085";
    context.fillText("no losses logged yet", pad.left, height / 2);
    return;
  }
  const all = series.flatMap((s) => s.points);
  const x0 = Math.min(...all.map((p) => p[0]));
  const x1 = Math.max(x0 + 1, ...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => p[1]));
  let y1 = Math.max(...all.map((p) => p[1]));
  if (y1 - y0 < 1e-6) { y0 -= 0.5; y1 += 0.5; }
  const sx = (x) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const sy = (y) => height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  context.strokeStyle = "#d9dee7";
  context.fillStyle = "#667085";
  context.beginPath();
  for (let i = 0; i <= 4; i++) {
    const y = y0 + ((y1 - y0) * i) / 4;
    context.moveTo(pad.left, sy(y));
    context.lineTo(width - pad.right, sy(y));
    context.fillText(y.toPrecision(3), 4, sy(y) + 4);
  }
  context.stroke();
  context.fillText(`step ${x0}`, pad.left, height - 8);
  context.fillText(`step ${x1}`, width - pad.right - 70, height - 8);
  series.forEach((s, index) => {
    context.strokeStyle = s.color;
    context.lineWidth = 1.5;
    context.beginPath();
    s.points.forEach(([x, y], i) => (i ? context.lineTo(sx(x), sy(y)) : context.moveTo(sx(x), sy(y))));
    context.stroke();
    context.fillStyle = "rgba(255, 255, 255, 0.85)";
    context.fillRect(width - pad.right - 64, pad.top + 14 * index + 2, 60, 14);
    context.fillStyle = s.color;
    context.fillText(s.key, width - pad.right - 60, pad.top + 14 * (index + 1));
  });
}

// -- the game in 2-D -------------------------------------------------------------------------------------

async function updateGameSteps() {
  const frames = await api("/api/frames");
  const following = state.gameIndex >= state.gameSteps.length - 1; // at the newest frame: keep following it
  state.gameSteps = frames.game;
  $("game").hidden = !state.gameSteps.length;
  $("game-frame").max = String(Math.max(0, state.gameSteps.length - 1));
  if (following) showGameFrame(state.gameSteps.length - 1);
}

async function gameFrame(step) {
  if (!state.gameFrames.has(step)) state.gameFrames.set(step, await api(`/api/game/${step}`));
  return state.gameFrames.get(step);
}

async function showGameFrame(index) {
  if (!state.gameSteps.length) return;
  state.gameIndex = Math.max(0, Math.min(index, state.gameSteps.length - 1));
  const step = state.gameSteps[state.gameIndex];
  try {
    const frame = await gameFrame(step);
    const critic = ["wgan", "wgan-gp"].includes(frame.loss);
    $("field-meaning").textContent = critic ? "the critic's score (scaled per frame)" : "D(x), the probability D says real";
    drawPlane($("game-canvas"), { frame, critic });
    $("game-frame").value = String(state.gameIndex);
    $("game-step").textContent = step;
  } catch (error) {
    state.gameFrames.delete(step); // a frame replaced while read: fetch it again next time
  }
}

function cssColor(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function drawPlane(canvas, { frame = null, points = null, reference = null, critic = false }) {
  // D's output as the background, then the real points and the generated points, over [-limit, limit]^2.
  // Without a frame: ``points`` over the real points of ``reference`` (a frame) if there is one.
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const fake = frame ? frame.fake : points;
  const real = frame ? frame.real : reference ? reference.real : [];
  let limit = frame ? frame.limit : reference ? reference.limit : 0;
  if (!limit) {
    for (const [x, y] of fake) limit = Math.max(limit, Math.abs(x), Math.abs(y));
    limit = limit * 1.1 || 1;
  }
  if (frame) context.drawImage(fieldImage(frame.field, critic), 0, 0, width, height);
  const px = (x) => ((x + limit) / (2 * limit)) * width;
  const py = (y) => ((limit - y) / (2 * limit)) * height;
  const dots = (list, fill, radius) => {
    context.fillStyle = fill;
    for (const [x, y] of list) {
      context.beginPath();
      context.arc(px(x), py(y), radius, 0, 2 * Math.PI);
      context.fill();
    }
  };
  dots(real, cssColor("--real"), 2);
  dots(fake, cssColor("--fake"), 2);
}

function fieldImage(field, critic) {
  const size = field.size;
  const values = field.values;
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) { low = Math.min(low, v); high = Math.max(high, v); }
  const image = new ImageData(size, size);
  for (let i = 0; i < values.length; i++) {
    // D(x) = sigmoid(logit); a critic's score has no scale, so it is mapped linearly per frame
    const p = critic ? (values[i] - low) / (high - low || 1) : 1 / (1 + Math.exp(-values[i]));
    // diverging, as in GAN Lab: purple where D says fake, white at 1/2 (undecided), green where D says real
    const [end, weight] = p < 0.5 ? [FIELD_LOW, 1 - 2 * p] : [FIELD_HIGH, 2 * p - 1];
    for (let c = 0; c < 3; c++) image.data[4 * i + c] = 255 + (end[c] - 255) * weight;
    image.data[4 * i + 3] = 255;
  }
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas;
}

function animateGame() {
  if (state.gamePlaying && state.gameSteps.length > 1) {
    showGameFrame((state.gameIndex + 1) % state.gameSteps.length);
  }
  setTimeout(animateGame, GAME_FRAME_MS);
}

// -- wiring ----------------------------------------------------------------------------------------------

function wire() {
  $("resample").addEventListener("click", () => {
    $("seed").value = String(Math.floor(Math.random() * state.info.limits.seed));
    drawSamples();
  });
  $("seed").addEventListener("change", drawSamples);
  $("count").addEventListener("change", drawSamples);
  $("label").addEventListener("change", drawSamples);
  $("category").addEventListener("change", drawSamples);
  $("mode").addEventListener("change", interpolate);
  $("frames").addEventListener("change", interpolate);
  $("reset-sliders").addEventListener("click", () => {
    for (const label of document.querySelectorAll("#sliders label")) {
      label.querySelector("input").value = "0";
      label.querySelector("output").textContent = "0";
    }
    editSample();
  });
  $("game-play").addEventListener("click", () => {
    state.gamePlaying = !state.gamePlaying;
    $("game-play").textContent = state.gamePlaying ? "Pause" : "Play";
  });
  $("game-frame").addEventListener("input", () => {
    state.gamePlaying = false;
    $("game-play").textContent = "Play";
    showGameFrame(Number($("game-frame").value));
  });
}

async function start() {
  wire();
  try {
    await loadInfo();
    await drawSamples();
  } catch (error) {
    showError(error);
  }
  poll();
  animateGame();
}

start();
