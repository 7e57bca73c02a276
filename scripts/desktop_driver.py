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
import subprocess
import sys
import time
import urllib.error
import urllib.request
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
        self.cmd("POST", "/execute/async", {
            "script": "document.querySelectorAll('.el-message').forEach(e => e.style.visibility = 'hidden');"
                      "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            "args": [],
        })
        time.sleep(0.3)
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


def start_display(workdir):
    for n in range(98, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            proc = subprocess.Popen(
                ["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                stdout=open(workdir / "xvfb.log", "ab"), stderr=subprocess.STDOUT,
            )
            wait_until("Xvfb", lambda: Path(f"/tmp/.X11-unix/X{n}").exists(), timeout=15)
            return proc, f":{n}"
    raise AssertionError("no free X display between :98 and :119")


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
