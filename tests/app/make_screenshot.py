"""Takes pictures of pages in headless Chromium: the README's (docs/overview.png,
docs/branches.png) by default, or any pages, users and languages for a review by eye.

Run by hand (not collected by pytest) against a running app: ``python app.py`` in one shell, then
``python -m tests.app.make_screenshot`` for the README's pictures, or e.g.
``python -m tests.app.make_screenshot --pages /segmentation,/cross-sell --users analyst,branch
--langs en,zh --out /tmp/shots`` (files named <user>-<lang>-<page>.png).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from auth.demo import DEMO_PASSWORDS
from tests.app.conftest import pytest_setup_options

DOCS = Path(__file__).resolve().parents[2] / "docs"
README_PAGES = {"overview.png": "/", "branches.png": "/branches"}


def _driver(height: int) -> webdriver.Chrome:
    options = pytest_setup_options()
    options.add_argument(f"--window-size=1280,{height}")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def shoot(
    base: str, user: str, lang: str, pages: dict[str, str], out: Path, wait: float, height: int
) -> None:
    """Sign in as ``user`` in ``lang`` and save each page (file name -> path) under ``out``."""
    driver = _driver(height)
    try:
        driver.get(f"{base}/login?lang={lang}")
        driver.find_element(By.ID, "username").send_keys(user)
        driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORDS[user])
        driver.find_element(By.ID, "login-submit").click()
        time.sleep(2)
        for name, path in pages.items():
            driver.get(f"{base}{path}")
            time.sleep(wait)
            driver.save_screenshot(str(out / name))
            print(f"wrote {out / name}")
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8050")
    parser.add_argument("--pages", help="comma-separated paths (default: the README's pictures)")
    parser.add_argument("--users", default="analyst")
    parser.add_argument("--langs", default="en")
    parser.add_argument("--out", type=Path, default=DOCS)
    parser.add_argument("--wait", type=float, default=6.0, help="seconds to let each page render")
    parser.add_argument("--height", type=int, default=1500)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for user in args.users.split(","):
        for lang in args.langs.split(","):
            if args.pages:
                names = {
                    f"{user}-{lang}-{p.strip('/').replace('/', '_') or 'overview'}.png": p
                    for p in args.pages.split(",")
                }
            else:
                names = README_PAGES
            shoot(args.base, user, lang, names, args.out, args.wait, args.height)


if __name__ == "__main__":
    main()
