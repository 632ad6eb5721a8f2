"""The console as files: served at / with a Content-Security-Policy that only its pages carry, no
inline script and no HTML built from strings, every text in both catalogs, a light first load."""

import re

from app.console.pages import STATIC

SCRIPTS = sorted((STATIC / "js").rglob("*.js"))
FIRST_LOAD_LIMIT = 300 * 1024


async def test_the_console_is_served_at_the_root_with_its_policy_and_docs_keep_theirs(cf):
    page = await cf.http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    script = await cf.http.get("/console/js/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert script.headers["content-security-policy"] == policy
    docs = await cf.http.get("/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers  # its scripts are inline
    assert (await cf.http.get("/console/js/none.js")).status_code == 404


def test_pages_have_no_inline_script_and_scripts_build_no_html_from_strings():
    html = (STATIC / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"\son\w+=", html) == []  # no inline event handlers either
    for script in SCRIPTS:
        source = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in source, f"{script.name} uses {sink}"


def test_every_text_the_console_shows_is_in_both_catalogs():
    catalogs = {
        name: set(re.findall(r'^\s*"([\w.]+)":', (STATIC / "js" / "i18n" / f"{name}.js").read_text(), re.M))
        for name in ("ru", "en")
    }
    assert catalogs["ru"] == catalogs["en"]
    used = set()
    for script in SCRIPTS:
        used |= set(re.findall(r'\bt\("([\w.]+)"', script.read_text()))
    assert used and used <= catalogs["en"], sorted(used - catalogs["en"])


def test_a_first_load_of_any_page_is_under_300_kb():
    """Every page loads the same shell, sheet and modules: all of them together bound any first load."""
    total = sum(path.stat().st_size for path in STATIC.rglob("*") if path.is_file())
    assert total <= FIRST_LOAD_LIMIT, f"{total} bytes"
