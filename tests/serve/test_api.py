"""The explorer's JSON API through FastAPI's test client: answers, errors, limits, and runs in progress."""

import base64
import io
import json
import os
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import Config
from ganforge.run import RunDir

NEEDS = "needs the serve extra: pip install -e '.[serve]'"
TestClient = pytest.importorskip("fastapi.testclient", reason=NEEDS).TestClient
serve_app = pytest.importorskip("ganforge.serve.app")
serve_explorer = pytest.importorskip("ganforge.serve.explorer")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def client(run):
    return TestClient(serve_app.create_app(run))


def pixels(url):
    """The pixels of a PNG data URL as an array."""
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))), dtype=np.int16)


def check_error(response, status, *words):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "hint"}
    for word in words:
        assert word in f"{body['error']}; {body['hint']}"


# -- the run ---------------------------------------------------------------------------------------------


def test_info_describes_the_run_and_its_limits(image_run):
    info = client(image_run).get("/api/info").json()
    assert (info["dataset"], info["model"], info["kind"], info["z_dim"]) == ("mnist", "mlp", "image", 100)
    assert info["checkpoint_step"] == 600
    assert info["data_shape"] == [1, 28, 28]
    assert info["controls"] == {"classes": None, "class_names": None, "categorical": 0, "continuous": 0}
    assert info["limits"]["images"] == serve_app.MAX_IMAGES


def test_page_and_its_assets_are_served_and_load_nothing_from_elsewhere(image_run):
    api = client(image_run)
    page = api.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for asset in ("/static/app.js", "/static/app.css"):
        assert api.get(asset).status_code == 200
    static = serve_app.STATIC
    for name in os.listdir(static):
        text = (static / name).read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, name


# -- samples ---------------------------------------------------------------------------------------------


def test_samples_are_reproducible_by_seed_and_differ_between_seeds(image_run):
    api = client(image_run)
    first = api.get("/api/samples", params={"seed": 7, "n": 4}).json()
    again = api.get("/api/samples", params={"seed": 7, "n": 4}).json()
    other = api.get("/api/samples", params={"seed": 8, "n": 4}).json()
    assert len(first["images"]) == 4 and first["step"] == 600
    assert first["images"] == again["images"]
    assert np.abs(pixels(first["images"][0]) - pixels(other["images"][0])).mean() > 5


def test_grid_png_downloads_the_samples_as_one_picture(image_run):
    response = client(image_run).get("/api/grid.png", params={"seed": 3, "n": 9})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert "attachment" in response.headers["content-disposition"]
    picture = Image.open(io.BytesIO(response.content))
    assert picture.size == (3 * (56 + 2) + 2, 3 * (56 + 2) + 2)  # 3 x 3 cells of 28 px enlarged twice


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ({"n": 65}, 422, ["n=65", "64"]),
        ({"n": 0}, 422, ["n"]),
        ({"seed": -1}, 422, ["seed"]),
        ({"seed": 2**31}, 422, ["seed"]),
        ({"seed": "abc"}, 422, ["seed", "integer"]),
        ({"label": 1}, 400, ["not conditional"]),
        ({"category": 0}, 400, ["no categorical code"]),
        ({"codes": "0.5"}, 400, ["no continuous"]),
    ],
)
def test_bad_sample_requests_are_4xx_errors_naming_the_parameter(image_run, query, status, words):
    check_error(client(image_run).get("/api/samples", params=query), status, *words)


def test_point_runs_return_points_and_cap_them_higher(ring_run):
    api = client(ring_run)
    reply = api.get("/api/samples", params={"n": 1000}).json()
    assert np.asarray(reply["points"]).shape == (1000, 2)
    check_error(api.get("/api/samples", params={"n": serve_app.MAX_POINTS + 1}), 422, "n")
    check_error(api.get("/api/interpolate", params={"a": 0, "b": 1}), 400, "image runs")


# -- interpolation and directions ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["lerp", "slerp"])
def test_interpolation_runs_from_sample_a_to_sample_b(image_run, mode):
    api = client(image_run)
    grid = api.get("/api/samples", params={"seed": 5, "n": 16}).json()["images"]
    walk = api.get("/api/interpolate", params={"seed": 5, "n": 16, "a": 2, "b": 9, "steps": 6, "mode": mode}).json()
    assert len(walk["images"]) == 6
    assert np.abs(pixels(walk["images"][0]) - pixels(grid[2])).max() <= 1
    assert np.abs(pixels(walk["images"][-1]) - pixels(grid[9])).max() <= 1
    middle = pixels(walk["images"][3])
    assert np.abs(middle - pixels(grid[2])).mean() > 1 and np.abs(middle - pixels(grid[9])).mean() > 1


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"a": 0, "b": 16}, ["b=16", "grid of 16"]),
        ({"a": 0, "b": 1, "steps": 33}, ["steps"]),
        ({"a": 0, "b": 1, "steps": 1}, ["steps"]),
        ({"a": 0, "b": 1, "mode": "cubic"}, ["mode"]),
        ({"a": 0}, ["b"]),
    ],
)
def test_bad_interpolation_requests_are_422(image_run, query, words):
    check_error(client(image_run).get("/api/interpolate", params={"n": 16, **query}), 422, *words)


def test_directions_are_ordered_by_the_variance_they_explain(image_run):
    reply = client(image_run).get("/api/directions").json()
    explained = reply["explained"]
    assert reply["count"] == len(explained) == serve_explorer.DIRECTION_COUNT
    assert explained == sorted(explained, reverse=True) and 0 < sum(explained) <= 1


def test_moving_along_a_direction_changes_the_sample_and_zero_leaves_it(image_run):
    api = client(image_run)
    grid = api.get("/api/samples", params={"seed": 1, "n": 4}).json()["images"]
    still = api.get("/api/edit", params={"seed": 1, "n": 4, "index": 3, "alphas": "0,0,0"}).json()["image"]
    moved = api.get("/api/edit", params={"seed": 1, "n": 4, "index": 3, "alphas": "3"}).json()["image"]
    assert np.abs(pixels(still) - pixels(grid[3])).max() <= 1
    assert np.abs(pixels(moved) - pixels(grid[3])).mean() > 2


@pytest.mark.parametrize(
    ("alphas", "words"),
    [("1,2,3,4,5,6,7,8,9", ["9 values"]), ("5.5", ["outside"]), ("nan", ["outside"]), ("1;2", ["numbers"])],
)
def test_bad_slider_values_are_422(image_run, alphas, words):
    response = client(image_run).get("/api/edit", params={"n": 4, "index": 0, "alphas": alphas})
    check_error(response, 422, *words)


# -- files of the run ------------------------------------------------------------------------------------


def test_frames_are_served_by_step_and_nothing_outside_the_run(image_run):
    api = client(image_run)
    assert api.get("/api/frames").json() == {"samples": [200, 400, 600], "game": []}
    frame = api.get("/api/frames/400")
    assert frame.status_code == 200 and frame.content == (image_run / "samples" / "step_000400.png").read_bytes()
    check_error(api.get("/api/frames/300"), 404, "step 300")
    check_error(api.get("/api/frames/-1"), 422, "step")
    for attack in ("/api/frames/..%2Fconfig.yaml", "/api/frames/../../etc/passwd", "/static/..%2F__init__.py",
                   "/static/../app.py", "/api/game/..%2F..%2Fmetrics.jsonl"):  # fmt: skip
        response = api.get(attack)
        assert response.status_code in (404, 422), attack
        assert b"ganforge" not in response.content or b"error" in response.content


def test_the_game_frames_of_a_ring_run_are_served(ring_run):
    api = client(ring_run)
    assert api.get("/api/frames").json()["game"] == [100, 200, 300]
    frame = api.get("/api/game/200").json()
    assert frame["step"] == 200 and len(frame["field"]["values"]) == frame["field"]["size"] ** 2


def test_metrics_after_a_step_and_the_status_of_a_finished_run(image_run):
    api = client(image_run)
    records = api.get("/api/metrics", params={"since": 500}).json()["records"]
    assert [record["step"] for record in records] == [520, 540, 560, 580, 600]
    assert all("loss/D" in record and "loss/G" in record for record in records)
    status = api.get("/api/status").json()
    assert (status["step"], status["steps"], status["latest_sample"]) == (600, 600, 600)
    assert status["finished"] and not status["training"] and status["rate"] > 0


# -- runs in progress ------------------------------------------------------------------------------------


def test_a_half_written_metrics_line_is_skipped(image_run_copy):
    with open(image_run_copy / "metrics.jsonl", "a") as handle:
        handle.write('{"step": 620, "loss/D": 0.')
    api = client(image_run_copy)
    assert api.get("/api/status").json()["step"] == 600
    assert api.get("/api/metrics", params={"since": 590}).json()["records"][-1]["step"] == 600


def test_a_run_without_a_checkpoint_yet_answers_503_until_one_appears(tmp_path, image_run, monkeypatch):
    monkeypatch.setattr(serve_explorer, "RELOAD_CHECK_SECONDS", 0.0)
    run = RunDir.create(tmp_path / "starting", Config.load(image_run / "config.yaml"))
    api = client(run.path)
    assert api.get("/api/info").json()["checkpoint_step"] is None
    assert api.get("/api/status").json()["step"] == 0
    check_error(api.get("/api/samples"), 503, "no model")
    shutil.copyfile(image_run / "checkpoints" / "step_000200.safetensors", run.checkpoints_dir / "latest.safetensors")
    assert api.get("/api/samples", params={"n": 1}).json()["step"] == 200


def test_a_newer_checkpoint_is_picked_up_without_a_restart(image_run_copy, monkeypatch):
    monkeypatch.setattr(serve_explorer, "RELOAD_CHECK_SECONDS", 0.0)
    api = client(image_run_copy)
    before = api.get("/api/samples", params={"n": 2}).json()
    checkpoints = image_run_copy / "checkpoints"
    os.replace(checkpoints / "step_000200.safetensors", checkpoints / "latest.safetensors")  # as training would
    after = api.get("/api/samples", params={"n": 2}).json()
    assert (before["step"], after["step"]) == (600, 200)
    assert before["images"] != after["images"]


def test_a_corrupt_new_checkpoint_falls_back_to_an_intact_one(image_run_copy, monkeypatch):
    monkeypatch.setattr(serve_explorer, "RELOAD_CHECK_SECONDS", 0.0)
    api = client(image_run_copy)
    assert api.get("/api/samples", params={"n": 1}).status_code == 200
    (image_run_copy / "checkpoints" / "latest.safetensors").write_bytes(b"not a checkpoint")
    reply = api.get("/api/samples", params={"n": 1})
    assert reply.status_code == 200 and reply.json()["step"] == 600  # step_000600.safetensors holds it too


def test_unknown_paths_get_the_same_error_shape(image_run):
    check_error(client(image_run).get("/api/nothing"), 404, "/api/nothing")
    body = json.loads(client(image_run).get("/api/game/999").content)
    assert "2-D game frame" in body["error"]


# -- conditional and InfoGAN runs ------------------------------------------------------------------------


def test_read_controls_finds_classes_and_infogan_codes_in_the_config():
    from types import SimpleNamespace

    model = SimpleNamespace(condition="projection", info_categorical=10, info_continuous=2)
    config = SimpleNamespace(model=model, data=SimpleNamespace(name="fashion-mnist"))
    controls = serve_explorer.read_controls(SimpleNamespace(config=config, num_classes=10))
    assert (controls.classes, controls.categorical, controls.continuous) == (10, 10, 2)
    assert controls.class_names[0] == "T-shirt/top" and len(controls.class_names) == 10
    config = SimpleNamespace(model=SimpleNamespace(), data=SimpleNamespace(name="mnist"))  # before these keys
    plain = SimpleNamespace(config=config, num_classes=0)
    assert serve_explorer.read_controls(plain) == serve_explorer.Controls()


def test_infogan_codes_are_set_in_the_last_columns_of_z():
    controls = serve_explorer.Controls(categorical=3, continuous=2)
    z = torch.randn(4, 5 + 3 + 2)
    coded = serve_explorer.apply_codes(z, 5, controls, category=1, codes=[0.5, -1.0])
    assert torch.equal(coded[:, :5], z[:, :5])
    assert coded[:, 5:8].tolist() == [[0.0, 1.0, 0.0]] * 4
    assert coded[:, 8:].tolist() == [[0.5, -1.0]] * 4
    assert torch.equal(serve_explorer.apply_codes(z, 5, controls, None, None), z)
    assert torch.equal(serve_explorer.apply_codes(z[:, :5], 5, controls, 1, [0.5]), z[:, :5])  # not InfoGAN's layout


@pytest.fixture
def as_conditional(monkeypatch):
    """Make the explorer treat a run as conditional with 10 classes and InfoGAN codes, recording G's labels."""
    controls = serve_explorer.Controls(classes=10, categorical=10, continuous=2)
    monkeypatch.setattr(serve_explorer, "read_controls", lambda trained: controls)
    seen = []
    real_render = serve_explorer.render

    def render(gan, z, labels=None):
        seen.append(labels)
        return real_render(gan, z, labels)

    monkeypatch.setattr(serve_explorer, "render", render)
    return seen


def test_a_conditional_run_draws_the_chosen_class_or_each_in_turn(image_run, as_conditional):
    api = client(image_run)
    assert api.get("/api/info").json()["controls"]["classes"] == 10
    assert api.get("/api/samples", params={"n": 4, "label": 3}).status_code == 200
    assert as_conditional[-1].tolist() == [3, 3, 3, 3]
    api.get("/api/samples", params={"n": 12})
    assert as_conditional[-1].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    check_error(api.get("/api/samples", params={"label": 10}), 422, "label=10", "0 to 9")
    check_error(api.get("/api/samples", params={"category": 10}), 422, "category=10")
    check_error(api.get("/api/samples", params={"codes": "0,1,2"}), 422, "3 values")
    check_error(api.get("/api/samples", params={"codes": "2.5"}), 422, "outside")
    assert api.get("/api/samples", params={"category": 9, "codes": "-2,2"}).status_code == 200
    # A direction slider edits grid sample 13 in the class it has in the grid, or in the chosen one
    assert api.get("/api/edit", params={"n": 16, "index": 13, "alphas": "1"}).status_code == 200
    assert as_conditional[-1].tolist() == [3]
    assert api.get("/api/edit", params={"n": 16, "index": 13, "alphas": "1", "label": 5}).status_code == 200
    assert as_conditional[-1].tolist() == [5]


def test_bound_to_this_machine_it_refuses_other_host_names(image_run):
    api = TestClient(serve_app.create_app(image_run, allowed_hosts=["127.0.0.1", "localhost"]), "http://127.0.0.1:8000")
    assert api.get("/api/status").status_code == 200
    assert api.get("/api/status", headers={"host": "localhost:8000"}).status_code == 200
    assert api.get("/api/status", headers={"host": "attacker.example:8000"}).status_code == 400
