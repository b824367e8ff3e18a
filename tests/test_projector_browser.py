"""The projector page in a real browser: headless Chromium driven by Selenium.

The page opens from file:// with the network off (and asks for nothing from it), draws the
points in the label colours, lists most_similar's neighbours of a key searched for, selects a
point clicked on, and turns its 3-D view when dragged. Screenshots go to a temporary folder,
whose path is printed, for a person to look at.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); without them
these tests skip and say so. Selenium is pointed at /usr/bin/chromedriver: it never downloads a
browser.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("plotly", reason="the projector page needs plotly (the test extra has it)")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from firstlayer.projector import write_html  # noqa: E402
from test_projector import grouped_vectors  # noqa: E402

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "")
                 if p and os.path.exists(p)), None)
CHROMEDRIVER = next((p for p in ("/usr/bin/chromedriver", shutil.which("chromedriver") or "")
                     if p and os.path.exists(p)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)",
)
WIDTH, HEIGHT = 1200, 800
NEIGHBOURS = 6
# Chromium without a network, a profile, or anything it would fetch in the background; WebGL
# drawn in software (SwiftShader), as there is no GPU.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-unsafe-swiftshader", "--disable-dev-shm-usage", f"--window-size={WIDTH},{HEIGHT}",
)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """The folder of the screenshots: a temporary one, its path printed."""
    folder = Path(tempfile.mkdtemp(prefix="firstlayer-projector-screenshots-"))
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else _nothing():
        print(f"\nprojector screenshots: {folder}")
    return folder


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    kv, labels = grouped_vectors()
    folder = tmp_path_factory.mktemp("projector-page")
    path = folder / "page.html"
    write_html(kv, path, labels=labels, neighbors=NEIGHBOURS, title="test vectors")
    return {"path": path, "kv": kv, "labels": labels}


@pytest.fixture(scope="module")
def browser(page: dict[str, Any]) -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='firstlayer-chromium-')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        # the network off before the page loads: anything it fetched from it would fail
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0,
        })
        driver.get(page["path"].as_uri())
        wait(driver, lambda: driver.execute_script("return document.body.dataset.ready"))
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for the page")
        time.sleep(0.05)


def by_testid(driver: Any, testid: str) -> Any:
    return driver.find_element("css selector", f'[data-testid="{testid}"]')


def pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def colour_pixels(image: np.ndarray, hex_colour: str, opacity: float, tol: int = 14) -> int:
    """How many pixels have the colour a marker of ``hex_colour`` at ``opacity`` has on white."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    seen = opacity * rgb + (1 - opacity) * 255
    return int((np.abs(image - seen).max(axis=2) <= tol).sum())


def set_view(driver: Any, view: str) -> None:
    by_testid(driver, f"view-{view}").click()
    kind = "scatter3d" if view == "3d" else "scattergl"
    wait(driver, lambda: driver.execute_script(
        "const p = document.getElementById('plot');"
        f"return p.data && p.data[0].type === '{kind}' && p._fullLayout"
        f" && ({view == '3d'} ? !!(p._fullLayout.scene && p._fullLayout.scene._scene) : true)"
        .replace("True", "true").replace("False", "false")))
    time.sleep(0.3)  # the WebGL frame after the data


def neighbour_rows(driver: Any) -> list[tuple[str, str]]:
    items = by_testid(driver, "neighbours").find_elements("css selector", "li")
    return [(li.find_element("css selector", ".key").text,
             li.find_element("css selector", ".cos").text) for li in items]


# ---- the tests -----------------------------------------------------------------------------------
def test_opens_offline_and_fetches_nothing(browser: Any, page: dict[str, Any]) -> None:
    uri = page["path"].as_uri()
    everything, ours = [], []  # every request of the browser; those of the page's document
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            everything.append(url)
            if message["params"].get("documentURL") == uri:
                ours.append(url)
    assert ours and ours[0] == uri
    assert [u for u in ours if not u.startswith(("file:", "data:", "blob:"))] == []
    assert [u for u in everything if u.startswith(("http:", "https:", "ws:", "wss:"))] == []
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert by_testid(browser, "count").text == f"{len(page['kv'])} points"
    assert "PCA" in by_testid(browser, "variance").text


def test_the_plot_draws_in_the_label_colours(browser: Any, page: dict[str, Any],
                                             shots: Path) -> None:
    set_view(browser, "2d")
    plot = by_testid(browser, "plot")
    png = plot.screenshot_as_png
    (shots / "2d.png").write_bytes(png)
    image = pixels(png)
    white = (image >= 250).all(axis=2).mean()
    assert 0.5 < white < 0.995, f"blank or flooded plot ({white:.1%} white): {shots / '2d.png'}"
    groups = browser.execute_script("return projector.data.groups")
    assert len(groups) == 5
    for group in groups:  # every group's colour is on the screen
        assert colour_pixels(image, group["color"], 0.85) >= 20, (group, shots / "2d.png")
    legend = browser.find_elements("css selector", ".legend .traces")
    assert [t.text for t in legend] == [g["name"] for g in groups]
    # the labels are drawn beside the points (by WebGL, so only the screenshot shows them)
    traces = browser.execute_script(
        "return document.getElementById('plot').data.map(t => [t.mode, t.text])")
    animals = next(text for mode, text in traces if "猫" in text)
    assert sorted(animals) == sorted(k for k, g in page["labels"].items() if g == "animals")
    assert all("text" in mode for mode, _ in traces)


def test_search_lists_most_similars_neighbours(browser: Any, page: dict[str, Any],
                                               shots: Path) -> None:
    search = by_testid(browser, "search")
    search.clear()
    search.send_keys("ca")  # typing filters the keys: prefix matches first
    wait(browser, lambda: by_testid(browser, "matches").text)
    matches = [b.text for b in by_testid(browser, "matches").find_elements("css selector", "li")]
    assert matches == ["cat", "cats", "car"]
    for key in ("猫", "dog"):
        search.clear()
        search.send_keys(key + "\n")
        wait(browser, lambda k=key: by_testid(browser, "selected").text == k)
        expected = page["kv"].most_similar(key, topn=NEIGHBOURS)
        assert neighbour_rows(browser) == [(k, f"{c:.3f}") for k, c in expected]
    browser.save_screenshot(str(shots / "search-dog.png"))


def test_clicking_a_point_selects_it(browser: Any, page: dict[str, Any], shots: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    set_view(browser, "2d")
    # every point's pixel position in the plot, from plotly's own axes
    spots = browser.execute_script("""
        const p = document.getElementById('plot'), fl = p._fullLayout, d = projector.data;
        return d.keys.map((k, i) => [k, fl._size.l + fl.xaxis.l2p(d.xy[0][i]),
                                     fl._size.t + fl.yaxis.l2p(d.xy[1][i])]);""")
    xy = np.array([[x, y] for _, x, y in spots])
    gaps = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(len(xy)) * 1e9
    for target in np.argsort(-gaps.min(axis=1))[:2]:  # the two points furthest from the others
        key, x, y = spots[target]
        plot = by_testid(browser, "plot")
        size = plot.size
        ActionChains(browser).move_to_element_with_offset(
            plot, int(x - size["width"] / 2), int(y - size["height"] / 2)
        ).pause(0.2).click().perform()
        wait(browser, lambda k=key: by_testid(browser, "selected").text == k)
        expected = page["kv"].most_similar(key, topn=NEIGHBOURS)
        assert [k for k, _ in neighbour_rows(browser)] == [k for k, _ in expected]
    browser.save_screenshot(str(shots / "clicked.png"))


def test_the_3d_view_rotates(browser: Any, shots: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    set_view(browser, "3d")
    plot = by_testid(browser, "plot")
    before_png = plot.screenshot_as_png
    (shots / "3d-before.png").write_bytes(before_png)
    camera = "return document.getElementById('plot')._fullLayout.scene._scene.getCamera().eye"
    before = browser.execute_script(camera)
    ActionChains(browser).move_to_element(plot).click_and_hold().move_by_offset(60, 0) \
        .move_by_offset(60, 20).move_by_offset(60, 20).release().perform()
    wait(browser, lambda: browser.execute_script(camera) != before)
    after = browser.execute_script(camera)
    turned = np.array([after[a] - before[a] for a in "xyz"])
    assert np.linalg.norm(turned) > 0.1, (before, after)
    after_png = plot.screenshot_as_png
    (shots / "3d-after.png").write_bytes(after_png)
    a, b = pixels(before_png), pixels(after_png)
    assert (image_changed := float((np.abs(a - b).max(axis=2) > 30).mean())) > 0.001, image_changed
    assert (a < 250).any(axis=2).mean() > 0.005  # the 3-D scene is drawn, not blank
