"""How wide a page renders in headless Chromium (when it is installed), for the pages'
width tests (the batch report, the estate review)."""

import html
import json
import subprocess

CHROMIUM = "/usr/bin/chromium"


def page_widths(page, tmp_path, width):
    """(page scroll width, viewport width, rendered image widths) in headless Chromium, the
    page in a frame ``width`` px wide (headless windows are at least 500 px)."""
    probe = ("<script>document.querySelector('iframe').addEventListener('load', (e) => {"
             "const d = e.target.contentDocument, r = d.documentElement; "
             "document.body.setAttribute('data-probe', JSON.stringify({scroll: r.scrollWidth, "
             "client: r.clientWidth, images: Array.from(d.images).map("
             "i => i.getBoundingClientRect().width)}));});</script>")
    outer = (f'<!DOCTYPE html><html><body style="margin:0"><iframe width="{width}" '
             f'height="2000" style="border:0" srcdoc="{html.escape(page, quote=True)}">'
             f"</iframe>{probe}</body></html>")
    path = tmp_path / f"review-{width}.html"
    path.write_text(outer, encoding="utf-8")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--window-size=1400,2000",
                           f"--user-data-dir={tmp_path / 'profile'}",
                           "--virtual-time-budget=5000", "--dump-dom", path.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.index("data-probe=\"") + len("data-probe=\"")
    return json.loads(html.unescape(done.stdout[start:done.stdout.index('"', start)]))
