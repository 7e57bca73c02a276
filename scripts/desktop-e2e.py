#!/usr/bin/env python3
"""End-to-end test of the desktop app: the built app in a real window under Xvfb, driven
through WebKitWebDriver (W3C WebDriver over plain HTTP, standard library only).

The story: a tally-server on 127.0.0.1 with a township, a village and a cadre; the app
logs in (enrols the device) and pulls the units; the server stops; the cadre adds a
household, records a visit and a cleanup load (saved on the device, 待同步); the server
starts again; the app syncs by itself; every entry then has a receipt number and the
ledger shows the load. Screenshots of the main screens go to --shots.

    scripts/desktop-e2e.py --app target/debug/tally-desktop \
        --server target/debug/tally-server --shots target/e2e-screenshots
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import desktop_driver
from desktop_driver import Driver, Server, log, need_tools, start_display, start_webdriver, stop, wait_until

desktop_driver.TAG = "e2e"
PASSWORD = "e2e-密码-2026"
VILLAGE = "150622100201"


def story(d, server, shots, workdir):
    t0 = time.monotonic()
    # 0. The window may call the app's own commands and nothing else.
    own = d.cmd("POST", "/execute/async", {"script": """
        const done = arguments[0];
        window.__TAURI_INTERNALS__.invoke('status_get').then(s => done('ok ' + s.device_name), e => done('refused ' + JSON.stringify(e)));""", "args": []})
    assert own.startswith("ok "), own
    core = d.cmd("POST", "/execute/async", {"script": """
        const done = arguments[0];
        window.__TAURI_INTERNALS__.invoke('plugin:app|version').then(v => done('allowed ' + v), e => done('refused ' + e));""", "args": []})
    assert core.startswith("refused"), f"a core command was allowed: {core}"
    log(f"capabilities: own command ok, core command {core[:60]}")
    # 1. Log in while the server runs: the device enrols and pulls its units.
    d.go("sync")
    d.type("[data-test=login-server]", server.url)
    d.type("[data-test=login-user]", "zhangsan")
    d.type("[data-test=login-password]", PASSWORD)
    d.click("[data-test=login-submit]")
    wait_until("the login", lambda: "zhangsan" in d.text("[data-test=logged-in]"))
    wait_until("the first sync", lambda: "同步完成" in d.text("[data-test=sync-message]"))
    log(f"logged in and synced ({time.monotonic() - t0:.1f}s)")

    # 2. The server goes away; the cadre keeps working.
    server.stop()
    d.go("home")
    wait_until("the ledger", lambda: d.find("[data-test=ledger-table]"))
    before = d.js("const e = document.querySelector('[data-metric=\"cleanup-tonnes\"]'); return e ? e.textContent.trim() : '0';")
    assert before in ("0", "—"), f"a fresh device has cleared nothing yet, the ledger says {before}"
    d.go("households")
    d.click("[data-test=hh-add]")
    d.type("[data-test=hh-head]", "张三")
    d.click("[data-test=hh-save]")
    wait_until("the household page", lambda: d.text("[data-test=hh-detail-head]") == "张三")
    d.click("[data-test=hh-visit]")
    d.type("[data-test=visit-note]", "墙体裂缝已加固，屋顶需更换")
    d.click("[data-test=visit-save]")
    wait_until("the visit on the timeline", lambda: "墙体裂缝已加固" in d.text("[data-test=hh-timeline]"))
    d.screenshot(shots / "household.png")

    d.go("entry")
    d.type("[data-test=cleanup-tonnes]", "500")
    d.click("[data-test=cleanup-save]")
    wait_until("the validation message beside tonnes",
               lambda: any("吨数" in t for t in d.texts(".el-form-item__error")))
    d.screenshot(shots / "entry-validation.png")
    d.type("[data-test=cleanup-tonnes]", "3.5")
    d.click("[data-test=cleanup-save]")
    wait_until("the load saved", lambda: "本次已录入 1 车" in d.text("[data-test=cleanup-session]"))
    d.screenshot(shots / "entry-cleanup.png")

    d.go("sync")
    wait_until("three entries waiting", lambda: int(d.text("[data-test=sync-pending]")) >= 3)
    states = d.texts(".entry-state")
    assert states.count("待同步") >= 3, states
    d.screenshot(shots / "sync-offline.png")
    log(f"recorded offline: {states.count('待同步')} entries waiting")

    d.go("home")
    wait_until("the ledger to count the load",
               lambda: d.text("[data-metric=\"cleanup-tonnes\"]") == "3.5")
    log(f"ledger cleanup-tonnes completed: {before} -> 3.5")

    # 3. The server is back: the background task notices and syncs.
    server.start()
    t_up = time.monotonic()
    d.go("sync")
    wait_until("the automatic sync to send everything",
               lambda: d.text("[data-test=sync-pending]") == "0", timeout=60)
    log(f"synced automatically {time.monotonic() - t_up:.1f}s after the server came back")
    wait_until("receipts", lambda: len(d.texts("[data-test=receipt]")) >= 3)
    states = d.texts(".entry-state")
    assert "待同步" not in states and "被拒绝" not in states, states
    receipts = d.texts("[data-test=receipt]")
    log(f"receipts: {receipts}")
    d.click("[data-test=sync-now]")
    wait_until("a sync by the button", lambda: "同步完成" in d.text("[data-test=sync-message]"))
    d.screenshot(shots / "sync.png")

    d.go("home")
    wait_until("the ledger after the sync", lambda: d.text("[data-metric=\"cleanup-tonnes\"]") == "3.5")
    d.screenshot(shots / "home.png")

    d.go("households")
    wait_until("the household list", lambda: "张三" in d.texts(".hh-head"))
    d.type("[data-test=hh-search]", "zs")
    time.sleep(0.5)
    wait_until("pinyin search", lambda: d.texts(".hh-head") == ["张三"])
    d.screenshot(shots / "households.png")

    d.go("export")
    d.click("[data-test=export-run]")
    files = wait_until("the export", lambda: d.texts("[data-test=export-files] code"))
    assert files[0].endswith(".xlsx") and Path(files[0]).is_file(), files
    d.screenshot(shots / "export.png")

    d.go("conflicts")
    d.screenshot(shots / "conflicts.png")
    d.go("settings")
    d.screenshot(shots / "settings.png")

    # 4. Every screen in English shows no Chinese but what people typed, and back in
    # Chinese no English sentence.
    device = d.cmd("POST", "/execute/async", {"script": """
        const done = arguments[0];
        window.__TAURI_INTERNALS__.invoke('status_get').then(s => done(s.device_name), e => done(''));""",
                                               "args": []})
    assert device, "the device has a name"
    typed = ["张三", "墙体裂缝已加固，屋顶需更换", "杭锦旗", "锡尼镇", "阿斯尔嘎查", "zhangsan", device]
    walk_languages(d, shots, typed)


# Chinese characters and full-width punctuation: none may appear in English mode.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# An English sentence: three words of letters in a row (codes, numbers and names aside).
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}\b")
PATH = re.compile(r"(?:/[^\s/]+)+/?")
SCREENS = ["home", "households", "household", "entry", "sync", "conflicts", "export", "settings"]


def screen_text(d, screen):
    """Open a screen (the household page through the list) and read what it shows."""
    if screen == "household":
        d.go("households")
        wait_until("the household list", lambda: d.texts(".hh-head"))
        d.js("document.querySelector('.el-table-v2__row .el-button').click();")
        wait_until("a household page", lambda: d.text("[data-test=hh-detail-head]"))
    else:
        d.go(screen)
    time.sleep(1.0)
    return d.js("return document.body.innerText;")


def set_language(d, label, nav_home):
    d.go("settings")
    d.click_text("[data-test=language] .el-radio-button", label)
    d.click("[data-test=settings-save]")
    wait_until(f"the app in {label}", lambda: d.text("[data-test=nav-home]") == nav_home)


def walk_languages(d, shots, typed):
    set_language(d, "English", "Home")
    for screen in SCREENS:
        text = screen_text(d, screen)
        for t in typed:
            text = text.replace(t, "")
        text = PATH.sub("", text)  # folders on this machine are data, whatever their names
        chinese = [line for line in text.splitlines() if CJK.search(line)]
        # The language picker names each language in itself.
        chinese = [line for line in chinese if line.strip() != "中文"]
        d.screenshot(shots / f"en-{screen}.png")
        assert not chinese, f"the {screen} screen in English shows Chinese: {chinese[:8]}"
    log(f"English: {len(SCREENS)} screens without Chinese but what was typed")
    set_language(d, "中文", "首页")
    for screen in SCREENS:
        text = screen_text(d, screen)
        for t in typed:
            text = text.replace(t, "")
        text = PATH.sub("", text)
        english = [m.group(0) for m in ENGLISH.finditer(text)]
        assert not english, f"the {screen} screen in Chinese shows English sentences: {english[:8]}"
    log(f"Chinese: {len(SCREENS)} screens without English sentences")


def tour(d, shots):
    """No assertions beyond finding things: the main screens on demo data, for the README."""
    d.go("home")
    wait_until("the ledger", lambda: d.find("[data-test=ledger-table]"))
    time.sleep(1.0)
    d.screenshot(shots / "home.png")
    d.go("households")
    wait_until("the household list", lambda: len(d.texts(".hh-head")) > 5)
    d.screenshot(shots / "households.png")
    d.click_text(".el-table-v2__row .el-button", "查看")
    wait_until("a household page", lambda: d.text("[data-test=hh-detail-head]"))
    d.screenshot(shots / "household.png")
    d.go("entry")
    d.type("[data-test=cleanup-tonnes]", "500")
    d.click("[data-test=cleanup-save]")
    wait_until("the validation message", lambda: any("吨数" in t for t in d.texts(".el-form-item__error")))
    d.screenshot(shots / "entry-validation.png")
    d.go("sync")
    wait_until("the outbox", lambda: len(d.texts(".entry-state")) > 0)
    d.screenshot(shots / "sync.png")
    d.go("conflicts")
    d.screenshot(shots / "conflicts.png")
    d.go("export")
    d.click("[data-test=export-run]")
    wait_until("the export", lambda: d.texts("[data-test=export-files] code"))
    d.screenshot(shots / "export.png")
    d.go("settings")
    d.screenshot(shots / "settings.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--app", required=True)
    ap.add_argument("--server", help="tally-server binary (the story)")
    ap.add_argument("--tour", action="store_true",
                    help="only visit the screens over the data in $TALLY_DATA_DIR and take screenshots")
    ap.add_argument("--shots", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    if not args.tour and not args.server:
        ap.error("--server is required (or --tour)")
    app = str(Path(args.app).resolve())
    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    need_tools()

    workdir = Path(tempfile.mkdtemp(prefix="tally-e2e-"))
    started = time.monotonic()
    procs, driver, server = [], None, None
    try:
        if not args.tour:
            server = Server(str(Path(args.server).resolve()), workdir)
        if server:
            for code, name, level, parent in [
                ("150622", "杭锦旗", "banner", None),
                ("150622100", "锡尼镇", "township", "150622"),
                (VILLAGE, "阿斯尔嘎查", "village", "150622100"),
            ]:
                server.admin("unit", "add", "--code", code, "--name", name, "--level", level,
                             *(["--parent", parent] if parent else []))
            server.admin("user", "add", "--name", "zhangsan", "--role", "cadre", "--unit", VILLAGE,
                         "--password-stdin", stdin=PASSWORD.encode())
            server.start()

        xvfb, display = start_display(workdir)
        procs.append(xvfb)
        env = dict(os.environ, DISPLAY=display, TAURI_WEBVIEW_AUTOMATION="true",
                   TALLY_HEALTH_POLL_SECS="2", HOME=str(workdir / "home"), LANG="C.UTF-8", RUST_LOG="info")
        if not args.tour:
            env["TALLY_DATA_DIR"] = str(workdir / "device")
        elif "TALLY_DATA_DIR" not in env:
            sys.exit("e2e: --tour needs TALLY_DATA_DIR (scripts/run-desktop.sh --tour DIR sets it)")
        (workdir / "home" / "Documents").mkdir(parents=True)
        wd, wd_url = start_webdriver(env, workdir)
        procs.append(wd)
        t_launch = time.monotonic()
        driver = Driver(wd_url, app)
        driver.find("[data-test=nav-home]", timeout=60)
        log(f"app window up in {time.monotonic() - t_launch:.1f}s")
        if args.tour:
            tour(driver, shots)
        else:
            story(driver, server, shots, workdir)
        log(f"PASSED in {time.monotonic() - started:.1f}s")
        print("1 passed, 0 failed")
    except BaseException:
        for name in ("server.log", "webdriver.log"):
            p = workdir / name
            if p.exists():
                print(f"---- last lines of {p} ----", file=sys.stderr)
                print("\n".join(p.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)
        if driver:
            try:
                driver.screenshot(shots / "failure.png")
            except Exception:  # noqa: BLE001
                pass
        print("0 passed, 1 failed")
        raise
    finally:
        if driver:
            driver.quit()
        if server:
            server.stop()
        for p in reversed(procs):
            stop(p)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"kept {workdir}")


if __name__ == "__main__":
    main()
