//! A laptop handed over: logging the device in as another user while the previous user's
//! entries wait to be sent is refused, saying how many and what to do; nothing changes.
//! Once they are synced, the device (whose id stays the first user's) is set up anew for
//! the new user, who receives everything the previous one sent.

use crate::e2e_support::{Backend, Device, Server};
use tally_testkit::banner::{BANNER, TOWNSHIP, VILLAGE_A as VILLAGE};

const PASSWORD: &str = "correct-horse-battery";

#[test]
fn a_device_holding_unsent_entries_is_not_logged_in_as_another_user() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut server = Server::new(dir, Backend::Sqlite);
    for cmd in [
        format!("unit add --code {BANNER} --name 杭锦旗 --level banner"),
        format!("unit add --code {TOWNSHIP} --name 锡尼镇 --level township --parent {BANNER}"),
        format!("unit add --code {VILLAGE} --name 阿斯尔嘎查 --level village --parent {TOWNSHIP}"),
    ] {
        server.admin(&cmd, None);
    }
    for user in ["batu", "wang"] {
        let cmd = format!("user add --name {user} --role cadre --unit {VILLAGE} --password-stdin");
        server.admin(&cmd, Some(PASSWORD));
    }
    server.start();
    let url = server.url();
    let laptop = Device::init(dir, "laptop.db", "村委会电脑");
    laptop.login(&url, "batu", PASSWORD);
    laptop.sync();
    laptop.ok(&format!(
        "cleanup add --village {VILLAGE} --kind manure --tonnes 3.5"
    ));
    laptop.ok(&format!(
        "cleanup add --village {VILLAGE} --kind hay --tonnes 1"
    ));

    let cmd = format!("login --server {url} --user wang --password-stdin");
    let refused = laptop.run(&cmd, Some(PASSWORD));
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("本机还有 batu 录入的 2 条记录没有同步：请先同步"),
        "{}",
        refused.stderr
    );
    let status = laptop.json("status");
    assert_eq!(
        (status["user"].as_str(), status["pending"].as_u64()),
        (Some("batu"), Some(2)),
        "still batu's, nothing lost: {status}"
    );
    // The same user logging in again is no hand-over.
    laptop.login(&url, "batu", PASSWORD);

    let sent = laptop.sync();
    assert_eq!(sent["accepted"], 2, "{sent}");
    // Synced: the server still keeps the device for batu, and says how to go on.
    let refused = laptop.run(&cmd, Some(PASSWORD));
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    assert!(refused.stderr.contains("tally init"), "{}", refused.stderr);
    let fresh = Device::init(dir, "laptop-wang.db", "村委会电脑");
    fresh.login(&url, "wang", PASSWORD);
    fresh.sync();
    let ledger = fresh.json(&format!("ledger --unit {VILLAGE}"));
    let cleanup = ledger["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "cleanup-tonnes" && r["pile"].is_null())
        .unwrap()
        .clone();
    assert_eq!(
        cleanup["completed"], 4.5,
        "batu's loads reached wang: {cleanup}"
    );
    assert_eq!(fresh.pending(), 0);
}
