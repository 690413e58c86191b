"""The web book in a real browser (headless Chromium driven by selenium), and the students' path: JupyterLab
opened on a chapter, every cell run through the UI, no error output.

In CI (``CI`` set) a missing Chromium is a failure, not a skip: ``.ci/run`` installs Debian's ``chromium``
and ``chromium-driver``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from mlops_edu.deployment.serving import free_port
from mlops_edu.workbook.book import build_book
from mlops_edu.workbook.runner import find_chapters

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")

if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium and chromium-driver (.ci/run installs them)")
    pytest.skip("no chromium/chromedriver on this machine (apt-get install chromium chromium-driver)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The book built from the committed chapters, served on 127.0.0.1 (a thread; stopped after the tests)."""
    out = tmp_path_factory.mktemp("book") / "book"
    build_book(WORKBOOK, out)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_every_chapter_page_loads_with_its_figures_and_leads_to_the_next(book, browser):
    from selenium.webdriver.common.by import By

    out, base = book
    chapters = [p.stem for p in find_chapters(WORKBOOK)]
    assert sorted(p.stem for p in (out / "chapters").glob("*.html")) == chapters
    browser.get(f"{base}/index.html")
    assert "lecture map" in browser.page_source.lower()
    browser.get_log("browser")
    for i, stem in enumerate(chapters):
        browser.get(f"{base}/chapters/{stem}.html")
        assert browser.find_elements(By.CSS_SELECTOR, "article h1"), f"{stem}: no title"
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0])")
        assert all(ok for _, ok in images), f"{stem}: images that do not decode: {[s for s, ok in images if not ok]}"
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, f"{stem}: console errors {errors}"
        link = browser.find_elements(By.CSS_SELECTOR, f"a[href$='{stem}.ipynb'], a[href*='_downloads']")
        assert link, f"{stem}: no link to the notebook file"
        following = chapters[i + 1] if i + 1 < len(chapters) else "glossary"
        nxt = browser.find_element(By.CSS_SELECTOR, "a.right-next")
        assert nxt.get_attribute("href").endswith(f"{following}.html"), f"{stem}: next is not {following}"
    nxt.click()
    assert "Glossary" in browser.title and "이탈" in browser.page_source   # the EN/KO glossary page


@pytest.mark.slow
def test_jupyterlab_runs_a_chapter_through_the_ui_without_errors(browser, tmp_path):
    """A student's path: JupyterLab on (a copy of) chapter 00, Run > Run All Cells, no error output."""
    from selenium.webdriver.common.by import By

    chapter = find_chapters(WORKBOOK, "00")[0]
    shutil.copyfile(chapter, tmp_path / chapter.name)
    port = free_port()
    log = (tmp_path / "jupyterlab.log").open("w")
    lab = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
                            "--ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
                            f"--ServerApp.root_dir={tmp_path}"], stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline and lab.poll() is None, "JupyterLab did not start"
                time.sleep(0.5)
        browser.get(f"http://127.0.0.1:{port}/lab/tree/{chapter.name}")
        _wait(lambda: "Idle" in browser.find_element(By.CSS_SELECTOR, ".jp-StatusBar-Widget").text
              or "Idle" in browser.page_source, 120, "the kernel never became idle")
        _click_menu(browser, "Run", "Run All Cells")
        n_code = len(browser.find_elements(By.CSS_SELECTOR, ".jp-CodeCell"))

        def all_ran() -> bool:
            prompts = [p.text for p in browser.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputPrompt")]
            return len(prompts) == n_code and all(p.strip() not in ("[ ]:", "[*]:", "") for p in prompts)

        _wait(all_ran, 180, "not every cell ran")
        errors = browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output[data-mime-type="
                                                        "'application/vnd.jupyter.stderr']")
        assert not errors, f"error output in the UI: {[e.text[:200] for e in errors]}"
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(20)
        log.close()


def _wait(condition, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - the page is still rendering
            pass
        time.sleep(1)
    raise AssertionError(message)


def _click_menu(browser, menu: str, item: str) -> None:
    from selenium.webdriver.common.by import By

    for label in browser.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel"):
        if label.text == menu:
            label.click()
            break
    else:
        raise AssertionError(f"no menu {menu!r}")
    _wait(lambda: any(e.text == item for e in browser.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel")), 10,
          f"no menu item {item!r}")
    next(e for e in browser.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel") if e.text == item).click()
