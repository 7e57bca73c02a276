"""What the desktop scripts share: a real window of the app under Xvfb, driven through
WebKitWebDriver (W3C WebDriver over plain HTTP, standard library only), and a
tally-server administered through its CLI. Used by desktop-e2e.py (the end-to-end story)
and desktop-bench.py (the benchmark at banner scale).
"""

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

STEP_TIMEOUT = 30.0
# What log lines start with; each script names itself.
TAG = "desktop"


def log(msg):
    print(f"[{TAG} {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json; charset=utf-8")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_until(what, check, timeout=STEP_TIMEOUT, every=0.2):
    """Poll `check` until it returns a truthy value; bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - keep polling, report the last one
            last_error = e
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_error})")


class Server:
    """tally-server on SQLite, administered through its CLI."""

    def __init__(self, binary, workdir, db=None, port=None):
        self.binary = binary
        self.db = f"sqlite:{db or workdir / 'server.db'}"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "server.log", "ab")
        self.proc = None

    def admin(self, *args, stdin=None):
        r = subprocess.run([self.binary, "--db", self.db, *args], input=stdin, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"tally-server {' '.join(args)} failed: {r.stderr.decode()}")

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "--db", self.db, "serve", "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=self.log,
        )
        wait_until("the server's health", lambda: http("GET", f"{self.url}/api/v1/health", timeout=2)[0] == 200)
        log(f"server up on {self.url}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        log("server stopped")


class Driver:
    """The few WebDriver endpoints the story needs."""

    def __init__(self, url, app, env_note=""):
        self.url = url
        status, body = http("POST", f"{url}/session", {
            "capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {"binary": app, "args": []}}}
        }, timeout=120)
        if status != 200:
            raise AssertionError(f"cannot start a session ({status}): {body} {env_note}")
        self.session = body["value"]["sessionId"]
        self.base = f"{url}/session/{self.session}"

    def cmd(self, method, path, body=None):
        status, out = http(method, f"{self.base}{path}", body)
        if status != 200:
            raise AssertionError(f"{method} {path}: {status} {out}")
        return out["value"]

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script, *args):
        """Run `script` with a callback as its last argument; returns what it passes."""
        return self.cmd("POST", "/execute/async", {"script": script, "args": list(args)})

    def find(self, css, timeout=STEP_TIMEOUT):
        def look():
            return self.js("const e = document.querySelector(arguments[0]); return !!e && e.getClientRects().length > 0;", css)
        wait_until(f"element {css}", look, timeout)
        return css

    def click(self, css):
        """Click like a person: retried while something (a closing dialog, a popper)
        still covers the element."""
        self.find(css)

        def attempt():
            el = self.cmd("POST", "/element", {"using": "css selector", "value": css})
            self.cmd("POST", f"/element/{next(iter(el.values()))}/click", {})
            return True
        wait_until(f"a click on {css}", attempt)

    def click_text(self, css, text):
        """Click the visible element matching `css` whose text contains `text`."""
        def look():
            return self.js("""
                const [css, text] = arguments;
                const e = [...document.querySelectorAll(css)].find(x => x.getClientRects().length && x.textContent.includes(text));
                if (e) { e.click(); return true; } return false;""", css, text)
        wait_until(f"{css} with text {text!r}", look)

    def type(self, css, text):
        """Set an input's value the way typing does (input and change events)."""
        self.find(css)
        self.js("""
            let e = document.querySelector(arguments[0]);
            if (!['INPUT', 'TEXTAREA'].includes(e.tagName)) e = e.querySelector('input, textarea');
            e.focus();
            const proto = e.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
            Object.getOwnPropertyDescriptor(proto, 'value').set.call(e, arguments[1]);
            e.dispatchEvent(new Event('input', {bubbles: true}));
            e.dispatchEvent(new Event('change', {bubbles: true}));
            e.blur();""", css, text)

    def text(self, css):
        self.find(css)
        return self.js("return document.querySelector(arguments[0]).textContent.trim();", css)

    def texts(self, css):
        return self.js("return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim());", css)

    def screenshot(self, path):
        # A screenshot can lag the DOM: wait for two animation frames first. Toasts are
        # hidden so that they do not cover the screen.
        box = self.cmd("POST", "/execute/async", {
            "script": "document.querySelectorAll('.el-message').forEach(e => e.style.visibility = 'hidden');"
                      "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => "
                      "done([window.screenX, window.screenY, window.innerWidth, window.innerHeight])));",
            "args": [],
        })
        time.sleep(0.3)
        if _framebuffer is not None:
            # What the X server shows, read from Xvfb's screen file: WebDriver's own
            # screenshot can hang with WebKitGTK's shared-memory renderer.
            png = framebuffer_png(_framebuffer, box)
        else:
            png = base64.b64decode(self.cmd("GET", "/screenshot"))
        path.write_bytes(png)
        log(f"screenshot {path.name} ({len(png) // 1024} KiB)")

    def go(self, nav):
        self.click(f"[data-test=nav-{nav}]")
        time.sleep(0.4)

    def quit(self):
        try:
            http("DELETE", self.base, timeout=20)
        except Exception:  # noqa: BLE001 - the app may already be gone
            pass


# Xvfb's screen file (XWD) of the display this script started, for screenshots.
_framebuffer = None


def start_display(workdir):
    global _framebuffer
    fbdir = workdir / "framebuffer"
    fbdir.mkdir(exist_ok=True)
    for n in range(98, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            proc = subprocess.Popen(
                ["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-nocursor", "-fbdir", str(fbdir)],
                stdout=open(workdir / "xvfb.log", "ab"), stderr=subprocess.STDOUT,
            )
            wait_until("Xvfb", lambda: Path(f"/tmp/.X11-unix/X{n}").exists(), timeout=15)
            _framebuffer = fbdir / "Xvfb_screen0"
            return proc, f":{n}"
    raise AssertionError("no free X display between :98 and :119")


def framebuffer_png(xwd_path, box):
    """The part `box` ([x, y, width, height]) of an XWD screen file (Xvfb -fbdir: 24-bit
    depth, 32 bits a pixel) as PNG bytes."""
    data = xwd_path.read_bytes()
    fields = struct.unpack(">25I", data[:100])
    header_size, bpp, bytes_per_line, ncolors = fields[0], fields[11], fields[12], fields[19]
    width, height, byte_order = fields[4], fields[5], fields[7]
    if bpp != 32:
        raise AssertionError(f"framebuffer: {bpp} bits a pixel, expected 32")
    pixels = data[header_size + 12 * ncolors:]
    x, y, w, h = (max(0, int(v)) for v in box)
    w, h = min(w, width - x), min(h, height - y)
    # Little-endian pixels are B, G, R, X in memory; big-endian X, R, G, B.
    b, g, r = (0, 1, 2) if byte_order == 0 else (3, 2, 1)
    raw = bytearray()
    for row in range(y, y + h):
        start = row * bytes_per_line + 4 * x
        line = pixels[start:start + 4 * w]
        rgb = bytearray(3 * w)
        rgb[0::3], rgb[1::3], rgb[2::3] = line[r::4], line[g::4], line[b::4]
        raw += b"\x00" + rgb

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b""))


def start_webdriver(env, workdir):
    """WebKitWebDriver on a free port with `env` (DISPLAY, TAURI_WEBVIEW_AUTOMATION, …)."""
    port = free_port()
    proc = subprocess.Popen(["WebKitWebDriver", f"--port={port}", "--host=127.0.0.1"], env=env,
                            stdout=open(workdir / "webdriver.log", "ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until("WebKitWebDriver", lambda: http("GET", f"{url}/status", timeout=2)[0] == 200)
    return proc, url


def stop(proc):
    """Terminate a process we started, then kill it if it does not go."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def need_tools():
    for tool in ("Xvfb", "WebKitWebDriver"):
        if not shutil.which(tool):
            sys.exit(f"{TAG}: {tool} is missing: run scripts/setup.sh base desktop")
