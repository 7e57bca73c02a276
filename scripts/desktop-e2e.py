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


# The key of the end-to-end test's device databases (unless TALLY_DB_KEY is set).
E2E_DB_KEY = "65326520746573742064617461626173652065326520746573742064617461ff"

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
    d.type("[data-test=cleanup-tonnes]", "5000")
    d.click("[data-test=cleanup-save]")
    wait_until("the validation message beside tonnes",
               lambda: any("吨数" in t for t in d.texts(".el-form-item__error")))
    d.screenshot(shots / "entry-validation.png")
    d.type("[data-test=cleanup-tonnes]", "3.5")
    d.click("[data-test=cleanup-save]")
    wait_until("the load saved", lambda: "本次已录入 1 车" in d.text("[data-test=cleanup-session]"))
    d.screenshot(shots / "entry-cleanup.png")

    bad_values(d, shots)
    progress_and_retract(d, shots)

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

    usb_bundle(d, server, shots)

    roster_and_duplicates(d, shots)
    correct_entry(d, shots)

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
    typed = ["张三", "墙体裂缝已加固，屋顶需更换", "杭锦旗", "锡尼镇", "阿斯尔嘎查", "zhangsan", device,
             "村东主街", "东段", "录错了", "李四", "王五"]
    walk_languages(d, shots, typed)
    restore_backup(d, server, shots)


def usb_bundle(d, server, shots):
    """No network: a load is carried to the server on a USB stick (here the export
    folder): exported from the sync screen, imported by the admin, and the receipts
    imported back from the same screen."""
    server.stop()
    d.go("entry")
    d.type("[data-test=cleanup-tonnes]", "2")
    d.click("[data-test=cleanup-save]")
    wait_until("the load saved", lambda: "本次已录入" in d.text("[data-test=cleanup-session]"))
    d.go("sync")
    wait_until("one entry waiting", lambda: d.text("[data-test=sync-pending]") == "1")
    d.click("[data-test=bundle-place]")
    d.click_text(".el-select-dropdown__item", "导出文件夹")
    d.click("[data-test=bundle-export]")
    said = wait_until("the bundle written", lambda: "已导出 1 条" in d.text("[data-test=bundle-message]")
                      and d.text("[data-test=bundle-message]"))
    bundle = Path(said.split("到 ", 1)[1])
    assert bundle.is_file() and bundle.suffix == ".tally", said
    receipts = bundle.with_name("receipts.tally")
    server.admin("bundle", "import", str(bundle), "--receipts", str(receipts), "--with-changes")
    d.click("[data-test=bundle-refresh]")
    wait_until("the receipts found", lambda: receipts.name in d.text("[data-test=bundle-receipts]"))
    d.screenshot(shots / "sync-bundle-receipts.png")
    d.click("[data-test=bundle-import]")
    wait_until("the receipts imported",
               lambda: "回执已导入：已同步 1 条" in d.text("[data-test=bundle-message]"))
    wait_until("nothing waiting", lambda: d.text("[data-test=sync-pending]") == "0")
    d.screenshot(shots / "sync-bundle.png")
    server.start()
    log(f"a load carried on a USB stick: {bundle.name}, receipts imported")


def restore_backup(d, server, shots):
    """The daily backup the app wrote at its first start (before the login, before
    anything was typed) restores from the settings screen; logged in again, one sync
    brings back everything the device had sent since, each entry once."""
    d.go("settings")
    rows = wait_until("today's backup", lambda: d.texts("[data-test=backups] .el-table__body tr"))
    assert len(rows) == 1 and time.strftime("%Y-%m-%d") in rows[0], rows
    d.screenshot(shots / "settings-backups.png")
    d.click("[data-test=backup-restore]")
    d.click(".el-message-box__btns .el-button--primary")
    wait_until("the restore", lambda: any("已恢复" in m for m in d.texts(".el-message")))
    d.go("households")
    wait_until("the device as it was at the backup", lambda: d.text("[data-test=hh-count]").startswith("共 0 户"))
    d.go("sync")
    d.type("[data-test=login-server]", server.url)
    d.type("[data-test=login-user]", "zhangsan")
    d.type("[data-test=login-password]", PASSWORD)
    d.click("[data-test=login-submit]")
    wait_until("the sync after the restore", lambda: "同步完成" in d.text("[data-test=sync-message]"))
    d.go("households")
    # 张三 and the roster's 李四 (the roster's second 张三 was merged into the first).
    wait_until("张三 and 李四 back from the server", lambda: sorted(d.texts(".hh-head")) == sorted(["张三", "李四"]))
    log("a backup restored, and a sync brought back what was sent since")


# What a tired cadre may type into each form: (entry tab or None for the household form,
# field, values). Every one must be answered by a Chinese message beside that field, and
# nothing saved; the message goes once the field is corrected (the last value, good).
TOO_LONG_HEAD = "张" * 41
BAD_VALUES = [
    ("cleanup", "cleanup-tonnes", ["", "0", "-2", "abc", "12.5吨", "99999999999", "1,5"], "3"),
    ("cleanup", "cleanup-piles", ["-2", "0", "2.5", "两", "99999999"], "2"),
    ("demolition", "demolition-area", ["-5", "0", "abc", "80平方米", "99999999"], "80"),
    ("works", "works-quantity", ["", "0", "-1", "abc", "12.5公里", "99999999"], "2.5"),
    ("household", "hh-head", ["", "   ", TOO_LONG_HEAD], "李四"),
    ("household", "hh-members", ["0", "-2", "abc", "3人", "99"], "4"),
    ("household", "hh-pension", ["9", "-1", "两"], "2"),
    ("visit", "visit-note", ["备注" * 1001], "入户核实"),
]
SAVE = {"cleanup": "cleanup-save", "demolition": "demolition-save", "works": "works-save",
        "household": "hh-save", "visit": "visit-save"}


def choose_file(d, name, text):
    """A file chosen in the roster button's file dialog (a File built in the page, as the
    dialog hands it over: WebDriver cannot drive the system's dialog)."""
    d.js("""
        const input = document.querySelector('[data-test=roster-file]');
        const dt = new DataTransfer();
        dt.items.add(new File([arguments[1]], arguments[0], {type: 'text/csv'}));
        input.files = dt.files;
        input.dispatchEvent(new Event('change'));""", name, text)


def roster_and_duplicates(d, shots):
    """A roster with a bad line is refused naming its line and column, nothing imported;
    corrected, it adds its households; 张三 entered twice is listed as a likely duplicate
    and merged into the first, whose visit stays on the timeline."""
    d.go("households")
    wait_until("the household list", lambda: "张三" in d.texts(".hh-head"))
    before = pending(d)
    bad = "村,户主,人口,电话,身份证号\n阿斯尔嘎查,李四,四,13900000001,\n阿斯尔嘎查,张三,3,13900000002,11010519491231002X\n"
    choose_file(d, "花名册.csv", bad)
    shown = wait_until("the roster's problems", lambda: d.text("[data-test=roster-problems]"))
    assert "第 2 行 第 3 列（人口）" in shown and "未导入任何农户" in shown, shown
    assert pending(d) == before, "a roster with errors imported something"
    d.screenshot(shots / "households-roster-problems.png")
    close_dialogs(d)
    choose_file(d, "花名册.csv", bad.replace(",四,", ",4,"))
    wait_until("the roster imported", lambda: "已导入 2 户（新增 2 户，更新 0 户）" in " ".join(d.texts(".el-message")))
    wait_until("李四 listed", lambda: "李四" in d.texts(".hh-head"))
    d.click("[data-test=hh-duplicates]")
    group = wait_until("the likely duplicates", lambda: d.text("[data-test=duplicate-group]"))
    assert "同村户主同名" in group and group.count("张三") == 2, group
    d.screenshot(shots / "households-duplicates.png")
    d.click("[data-test=duplicate-merge]")
    wait_until("the question", lambda: "保留“张三”" in d.text(".el-message-box"))
    d.click_text(".el-message-box__btns button", "合并")
    wait_until("merged", lambda: "已合并 1 户" in " ".join(d.texts(".el-message")))
    wait_until("no duplicates left", lambda: "没有疑似重复的农户" in d.text("[data-test=duplicates-dialog]"))
    close_dialogs(d)
    wait_until("one 张三", lambda: d.texts(".hh-head").count("张三") == 1)
    log("roster: a bad line refused by line and column, then 2 households imported; 张三 twice merged into one")


def correct_entry(d, shots):
    """Today's cleanup load corrected in place from the entry list (3.5 t → 4 t): one
    more change waiting, the ledger counting the corrected tonnes."""
    d.go("home")
    tonnes = lambda: float(d.text("[data-metric=\"cleanup-tonnes\"]"))  # noqa: E731
    counted = wait_until("the ledger", tonnes)
    d.go("entry")
    rows = wait_until("today's load", lambda: [t for t in d.texts(".entry-summary") if "清理 粪堆 3.5 吨" in t or "3.5 吨" in t])
    assert rows, d.texts(".entry-summary")
    before = pending(d)
    d.js("""
        const row = [...document.querySelectorAll('[data-test=entry-table] tr')]
            .find(r => r.textContent.includes('3.5 吨') && r.querySelector('[data-test=correct-entry]'));
        row.querySelector('[data-test=correct-entry]').click();""")
    wait_until("the correction form", lambda: d.find("[data-test=correct-tonnes]"))
    d.type("[data-test=correct-tonnes] input", "4")
    d.screenshot(shots / "entry-correct.png")
    d.click("[data-test=correct-save]")
    wait_until("the correction saved", lambda: pending(d) == before + 1)
    d.go("home")
    wait_until("the ledger to count 0.5 t more", lambda: abs(tonnes() - (counted + 0.5)) < 1e-9)
    d.go("sync")
    d.click("[data-test=sync-now]")
    wait_until("the roster, the merge and the correction sent", lambda: d.text("[data-test=sync-pending]") == "0", timeout=60)
    log("a load corrected from today's entries: 3.5 t → 4 t, the ledger follows; all of it synced")


def pending(d):
    return d.cmd("POST", "/execute/async", {"script": """
        const done = arguments[0];
        window.__TAURI_INTERNALS__.invoke('status_get').then(s => done(s.pending), e => done(-1));""", "args": []})


def field_error(d, css):
    """The message shown beside the form field holding `css` ('' if none)."""
    return d.js("""
        const e = document.querySelector(arguments[0]);
        const item = e && e.closest('.el-form-item');
        const err = item && item.querySelector('.el-form-item__error');
        return err && err.getClientRects().length ? err.textContent.trim() : '';""", css)


def close_dialogs(d):
    d.js("document.querySelectorAll('.el-dialog__headerbtn').forEach(b => { if (b.getClientRects().length) b.click(); });")
    time.sleep(0.4)


def open_form(d, tab):
    close_dialogs(d)
    if tab == "household":
        d.go("households")
        d.click("[data-test=hh-add]")
        d.find("[data-test=hh-head]")
        d.type("[data-test=hh-head]", "王五")
    elif tab == "visit":
        d.go("households")
        d.click_text("[data-test=hh-open]", "查看")
        wait_until("the household page", lambda: d.text("[data-test=hh-detail-head]") == "张三")
        d.click("[data-test=hh-visit]")
        d.find("[data-test=visit-save]")
    else:
        d.go("entry")
        d.click_text(".el-tabs__item", {"cleanup": "清理", "demolition": "拆除", "works": "工程进度"}[tab])
        d.find(f"[data-test={SAVE[tab]}]")
        if tab == "cleanup":
            d.type("[data-test=cleanup-tonnes]", "3")


def progress_and_retract(d, shots):
    """A 5 km road saved, 1.2 km of it recorded as done; then that entry taken back from
    today's entries with a reason: the withdrawal is itself an entry, waiting to sync."""
    open_form(d, "works")
    d.type("[data-test=works-quantity]", "5")
    d.type("[data-test=works-name]", "村东主街")
    d.click("[data-test=works-save]")
    wait_until("the road's progress", lambda: "已完成 0 / 5 公里" in d.text("[data-test=works-done]"))
    d.type("[data-test=progress-quantity]", "1.2")
    d.type("[data-test=progress-note]", "东段")
    d.click("[data-test=progress-save]")
    wait_until("1.2 km done", lambda: "已完成 1.2 / 5 公里" in d.text("[data-test=works-done]"))
    d.screenshot(shots / "entry-works-progress.png")
    before = pending(d)
    first = wait_until("the progress entry listed", lambda: d.texts(".entry-summary")[:1])
    assert "工程进度 完成 1.2" in first[0], first
    d.click("[data-test=retract]")
    wait_until("the question why", lambda: "请写明原因" in d.text(".el-message-box"))
    d.type(".el-message-box input", "录错了")
    d.screenshot(shots / "entry-retract.png")
    d.click_text(".el-message-box__btns button", "撤销")
    wait_until("the withdrawal listed", lambda: "撤销 工程进度 完成 1.2" in " ".join(d.texts(".entry-summary")[:1]))
    assert pending(d) == before + 1, "the withdrawal waits to sync"
    log("works progress: 1.2 of 5 km recorded, then withdrawn with its reason")


def bad_values(d, shots):
    """Every form fed the bad values of BAD_VALUES: a Chinese message beside the right
    field, nothing saved, the text left as typed, the message gone once corrected; an
    unusual value is asked about and, unconfirmed, not saved; a future day is never saved."""
    checked = 0
    for tab, field, values, good in BAD_VALUES:
        open_form(d, tab)
        css = f"[data-test={field}]"
        for value in values:
            before = pending(d)
            d.type(css, value)
            d.click(f"[data-test={SAVE[tab]}]")
            shown = wait_until(f"a message beside {field} for {value[:20]!r}", lambda: field_error(d, css))
            assert CJK.search(shown) and not ENGLISH.search(shown), f"{field} {value[:20]!r}: {shown!r}"
            assert "invalid args" not in shown and "expected" not in shown, shown
            assert pending(d) == before, f"{field} {value[:20]!r} saved something: {shown}"
            kept = d.js("const e = document.querySelector(arguments[0]); "
                        "return (e.matches('input,textarea') ? e : e.querySelector('input,textarea')).value;", css)
            assert kept == value, f"{field}: typed {value[:20]!r}, the field now holds {kept[:20]!r}"
            checked += 1
        d.type(css, good)
        wait_until(f"the message beside {field} to go once corrected", lambda: field_error(d, css) == "")
        if tab == "works":
            d.screenshot(shots / "entry-works.png")
    log(f"bad values: {checked} refused beside their field in Chinese, nothing saved")

    # An unusual load is asked about; going back to fix it saves nothing.
    open_form(d, "cleanup")
    before = pending(d)
    d.type("[data-test=cleanup-tonnes]", "350")
    d.click("[data-test=cleanup-save]")
    wait_until("the question about 350 t", lambda: "通常不超过" in d.text(".el-message-box"))
    d.screenshot(shots / "entry-unusual.png")
    d.click_text(".el-message-box__btns button", "返回修改")
    wait_until("the message beside tonnes", lambda: "通常不超过" in field_error(d, "[data-test=cleanup-tonnes]"))
    assert pending(d) == before, "an unconfirmed unusual load was saved"
    d.type("[data-test=cleanup-tonnes]", "")

    # Tomorrow cannot be picked, and typed it is not saved.
    open_form(d, "visit")
    tomorrow = d.js("const t = new Date(Date.now() + 86400000); "
                    "return t.getFullYear() + '-' + String(t.getMonth() + 1).padStart(2, '0') + '-' + String(t.getDate()).padStart(2, '0');")
    date_input = "[data-test=visit-form] .el-date-editor input"
    d.js("const i = document.querySelector(arguments[0]); i.focus(); i.click();", date_input)
    disabled = wait_until("the calendar", lambda: d.js(
        "const c = [...document.querySelectorAll('.el-date-table td')].filter(x => x.getClientRects().length);"
        "return c.length ? c.filter(x => x.classList.contains('disabled')).length + '/' + c.length : '';"))
    d.type(date_input, tomorrow)
    d.js("document.body.click();")
    time.sleep(0.5)
    shown = d.js("return document.querySelector(arguments[0]).value;", date_input)
    assert shown != tomorrow, f"the date picker took {tomorrow}"
    # And were tomorrow sent anyway (an old picker, a typed value): the device refuses it,
    # in Chinese, beside the date, and saves nothing.
    before = pending(d)
    household = d.js("return location.hash.split('/').pop();")
    refused = d.cmd("POST", "/execute/async", {"script": """
        const [household, date, done] = arguments;
        window.__TAURI_INTERNALS__.invoke('visit_save', {input: {household, date, note: ''}})
          .then(() => done(null), e => done(e));""", "args": [household, tomorrow]})
    assert refused and refused.get("field") == "date" and CJK.search(refused.get("message_zh", "")), refused
    assert pending(d) == before, "a visit dated tomorrow was saved"
    assert int(disabled.split("/")[0]) > 0, f"no day after today is disabled: {disabled}"
    log(f"future days: {disabled} calendar days disabled, {tomorrow} not taken by the picker; "
        f"sent anyway: {refused['message_zh']}")
    close_dialogs(d)


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
        d.js("document.querySelector('[data-test=hh-open]').click();")
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


def start_app(app, display, workdir, data_dir, key=True):
    """The app in a window, driven through its own WebKitWebDriver; `data_dir`: the
    device's data folder (None: TALLY_DATA_DIR as given). No keyring here: the device
    database's key comes from TALLY_DB_KEY, or (`key=False`) a passphrase is asked for."""
    env = dict(os.environ, DISPLAY=display, TAURI_WEBVIEW_AUTOMATION="true",
               TALLY_HEALTH_POLL_SECS="2", HOME=str(workdir / "home"), LANG="C.UTF-8", RUST_LOG="info",
               TALLY_DB_KEY=os.environ.get("TALLY_DB_KEY", E2E_DB_KEY))
    if not key:
        del env["TALLY_DB_KEY"]
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    if data_dir is not None:
        env["TALLY_DATA_DIR"] = str(data_dir)
    wd, url = start_webdriver(env, workdir)
    t_launch = time.monotonic()
    driver = Driver(url, app)
    driver.find("[data-test=nav-home]" if key else "[data-test=unlock]", timeout=60)
    log(f"app window up in {time.monotonic() - t_launch:.1f}s")
    return wd, driver


def passphrase_device(app, display, workdir, shots):
    """A laptop with no keyring and no TALLY_DB_KEY: the app asks for a passphrase
    (chosen twice the first time), opens with it, and the next start refuses a wrong one
    beside the field and opens with the right one."""
    data = workdir / "passphrase-device"
    wd, d = start_app(app, display, workdir, data, key=False)
    try:
        d.type("[data-test=unlock-passphrase]", "草原上的口令很长很长")
        d.type("[data-test=unlock-again]", "草原上的口令很长很长")
        d.screenshot(shots / "unlock-choose.png")
        d.click("[data-test=unlock-open]")
        d.find("[data-test=nav-home]")
        head = (data / "tally.db").read_bytes()[:16]
        assert head != b"SQLite format 3\x00", "the database is encrypted"
    finally:
        d.quit()
        stop(wd)
    wd, d = start_app(app, display, workdir, data, key=False)
    try:
        d.type("[data-test=unlock-passphrase]", "不是这个口令呀呀呀")
        d.click("[data-test=unlock-open]")
        said = wait_until("the wrong passphrase refused", lambda: field_error(d, "[data-test=unlock-passphrase]"))
        assert "密钥或口令不对" in said, said
        d.screenshot(shots / "unlock-wrong.png")
        d.type("[data-test=unlock-passphrase]", "草原上的口令很长很长")
        d.click("[data-test=unlock-open]")
        d.find("[data-test=nav-home]")
    finally:
        d.quit()
        stop(wd)
    log("no keyring: a passphrase chosen, a wrong one refused, the right one opens")


TARGET_BAD = [("target-quantity", ["", "abc", "-5", "30户", "999999999999"], "30")]


def leader_targets(d, server, shots):
    """A team leader of the township on a second device: the home opens on the township,
    the target dialog names it, bad quantities and a missing deadline are refused beside
    their field in Chinese with nothing saved, and the banner above offers no target."""
    d.go("sync")
    d.type("[data-test=login-server]", server.url)
    d.type("[data-test=login-user]", "lisi")
    d.type("[data-test=login-password]", PASSWORD)
    d.click("[data-test=login-submit]")
    wait_until("the leader's first sync", lambda: "同步完成" in d.text("[data-test=sync-message]"))
    d.go("home")
    wait_until("the home on the township", lambda: "锡尼镇" in d.text("[data-test=home-unit]"))
    d.click("[data-test=set-target]")
    title = wait_until("the target dialog", lambda: d.text("[data-test=target-dialog] .el-dialog__title"))
    assert title == "设定指标：锡尼镇", title
    checked = 0
    for field, values, good in TARGET_BAD:
        css = f"[data-test={field}]"
        for value in values:
            before = pending(d)
            d.type(css, value)
            d.click("[data-test=target-save]")
            shown = wait_until(f"a message beside {field} for {value!r}", lambda: field_error(d, css))
            assert CJK.search(shown) and not ENGLISH.search(shown), f"{field} {value!r}: {shown!r}"
            assert pending(d) == before, f"{field} {value!r} saved something: {shown}"
            checked += 1
        d.type(css, good)
        wait_until(f"the message beside {field} to go", lambda: field_error(d, css) == "")
    before = pending(d)
    d.click("[data-test=target-save]")
    deadline = wait_until("the deadline asked for", lambda: field_error(d, "[data-test=target-deadline]"))
    assert deadline == "请填写截止日期", deadline
    assert pending(d) == before
    d.screenshot(shots / "target-validation.png")
    log(f"target form: {checked + 1} bad values refused beside their field, nothing saved")
    close_dialogs(d)
    d.click("[data-test=home-unit] .el-select")
    d.click_text(".el-select-dropdown__item", "杭锦旗")
    wait_until("the banner's ledger", lambda: "杭锦旗" in d.text("[data-test=home-unit]"))
    time.sleep(0.5)
    assert not d.js("return !!document.querySelector('[data-test=set-target]');"), \
        "a target is offered on the banner, outside the leader's township"
    log("the banner above the leader's township offers no target")
    village_flags(d, shots)
    change_password(d, shots)


def change_password(d, shots):
    """The leader changes their password on the settings screen: the new one typed twice
    (a mismatch is said beside it), a wrong current one refused in words, then changed."""
    d.go("settings")
    d.find("[data-test=password-form]")
    d.type("[data-test=password-current]", PASSWORD)
    d.type("[data-test=password-new]", "lisi-new-pass-1")
    d.type("[data-test=password-again]", "lisi-new-pass-2")
    d.click("[data-test=password-save]")
    said = wait_until("the mismatch beside the field", lambda: field_error(d, "[data-test=password-again]"))
    assert said == "两次输入的新密码不一样", said
    d.type("[data-test=password-again]", "lisi-new-pass-1")
    d.type("[data-test=password-current]", "not-the-password")
    d.click("[data-test=password-save]")
    wait_until("the wrong current password refused", lambda: "当前密码不对" in " ".join(d.texts(".el-message")))
    d.type("[data-test=password-current]", PASSWORD)
    d.screenshot(shots / "settings-password.png")
    d.click("[data-test=password-save]")
    wait_until("the password changed", lambda: "密码已修改" in " ".join(d.texts(".el-message")))
    log("the leader changed their password: a mismatch and a wrong current password refused first")


def village_flags(d, shots):
    """The leader flags the village 沿黄渗漏区 on the home screen; the ledger of the
    township counted for the seepage zone only, with its household breakdown."""
    d.click("[data-test=home-unit] .el-select")
    d.click_text(".el-select-dropdown__item", "阿斯尔嘎查")
    wait_until("the village's ledger", lambda: "阿斯尔嘎查" in d.text("[data-test=home-unit]"))
    box = wait_until("the flag boxes", lambda: d.find("[data-test=village-flags] [data-flag=seepage]"))
    assert box
    d.click("[data-test=village-flags] [data-flag=seepage]")
    wait_until("the flag saved", lambda: "已更新阿斯尔嘎查的标记" in " ".join(d.texts(".el-message")))
    d.click("[data-test=home-unit] .el-select")
    d.click_text(".el-select-dropdown__item", "锡尼镇")
    wait_until("the township's ledger", lambda: "锡尼镇" in d.text("[data-test=home-unit]"))
    d.click_text("[data-test=ledger-only] .el-radio-button", "沿黄渗漏区")
    groups = wait_until("the breakdown", lambda: d.text("[data-test=ledger-groups]"))
    assert "五保户" in groups and "沿黄渗漏区" in groups, groups
    d.screenshot(shots / "home-flags.png")
    d.js("document.querySelector('[data-test=ledger-groups]').scrollIntoView({block: 'center'});")
    d.screenshot(shots / "home-groups.png")
    log("the leader flagged 阿斯尔嘎查 沿黄渗漏区; the township's ledger of the seepage zone shown with its breakdown")


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
    d.click_text("[data-test=hh-open]", "查看")
    wait_until("a household page", lambda: d.text("[data-test=hh-detail-head]"))
    d.screenshot(shots / "household.png")
    d.go("entry")
    d.type("[data-test=cleanup-tonnes]", "5000")
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
            server.admin("user", "add", "--name", "lisi", "--role", "leader", "--unit", "150622100",
                         "--password-stdin", stdin=PASSWORD.encode())
            server.start()

        xvfb, display = start_display(workdir)
        procs.append(xvfb)
        if args.tour and "TALLY_DATA_DIR" not in os.environ:
            sys.exit("e2e: --tour needs TALLY_DATA_DIR (scripts/run-desktop.sh --tour DIR sets it)")
        (workdir / "home" / "Documents").mkdir(parents=True)
        data = None if args.tour else workdir / "device"
        wd, driver = start_app(app, display, workdir, data)
        procs.append(wd)
        if args.tour:
            tour(driver, shots)
        else:
            story(driver, server, shots, workdir)
            driver.quit()
            wd2, driver = start_app(app, display, workdir, workdir / "leader-device")
            procs.append(wd2)
            leader_targets(driver, server, shots)
            driver.quit()
            driver = None
            passphrase_device(app, display, workdir, shots)
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
