//! Helpers of the end-to-end story over the real binaries: find `tally` and
//! `tally-server` next to the test executable, run them with a time limit, and run a
//! server process on a loopback port over a temp SQLite file or a fresh PostgreSQL
//! schema, killed by a drop guard so a failing test leaves no process behind.

use serde_json::Value;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest any one command may run (a sync that cannot reach the server retries
/// for about 4 s).
const COMMAND_LIMIT: Duration = Duration::from_secs(60);
/// The longest a server may take to answer its health check after it was started.
const START_LIMIT: Duration = Duration::from_secs(10);

/// `target/debug` (or the profile directory the test was built in): the test runs
/// from `target/debug/deps/it-HASH`.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the path of the test executable");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test executable sits in target/PROFILE/deps")
        .to_path_buf()
}

/// A binary of the workspace, built next to the tests.
pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build -p tally-cli -p tally-server` first \
         (`cargo test --workspace` builds it too)",
        path.display()
    );
    path
}

/// How a finished command went.
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Run `bin args…` in `dir` with `stdin` (or none), at most [`COMMAND_LIMIT`]. Output
/// goes to files, so a chatty command cannot fill a pipe and hang.
pub fn run(bin: &Path, args: &[&str], stdin: Option<&str>, dir: &Path) -> Out {
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let out_path = dir.join(format!("run-{n}.out"));
    let err_path = dir.join(format!("run-{n}.err"));
    let shown = format!("{} {}", bin.display(), args.join(" "));
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env_remove("TALLY_DB")
        .env_remove("TALLY_SERVER_DB")
        .env("TALLY_DB_KEY", tally_testkit::DB_KEY)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(format!("{text}\n").as_bytes()).unwrap();
    }
    let deadline = Instant::now() + COMMAND_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} did not finish in {COMMAND_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Out {
        code: status.code(),
        stdout: std::fs::read_to_string(&out_path).unwrap(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
    }
}

/// Run a command that must succeed; its stdout.
pub fn ok(bin: &Path, args: &[&str], stdin: Option<&str>, dir: &Path) -> Out {
    let out = run(bin, args, stdin, dir);
    assert_eq!(
        out.code,
        Some(0),
        "{} {} failed:\n{}{}",
        bin.display(),
        args.join(" "),
        out.stdout,
        out.stderr
    );
    out
}

/// `--db DB` and the words of `cmd` (split on whitespace: no argument of the story has
/// a space), the arguments of both binaries.
fn with_db<'a>(db: &'a str, cmd: &'a str) -> Vec<&'a str> {
    let mut args = vec!["--db", db];
    args.extend(cmd.split_whitespace());
    args
}

/// Where the server keeps its data.
pub enum Backend {
    Sqlite,
    /// A fresh schema in the PostgreSQL of TALLY_TEST_PG_URL: the URL with the
    /// schema as its search path.
    Postgres(String),
}

impl Backend {
    /// A fresh schema in the PostgreSQL of TALLY_TEST_PG_URL; `None` when PostgreSQL is
    /// skipped on purpose (see `tally_testkit`).
    pub fn postgres() -> Option<Backend> {
        let base = tally_testkit::pg::pg_url("the end-to-end story on PostgreSQL")?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let schema = rt.block_on(tally_testkit::pg::fresh_schema(&base, "e2e"));
        Some(Backend::Postgres(schema.url))
    }
}

/// A free loopback port: bind port 0, read the port, let it go.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().unwrap().port()
}

/// A `tally-server` process (when started) over one database, always on one port.
pub struct Server {
    bin: PathBuf,
    db: String,
    addr: SocketAddr,
    dir: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Server {
    /// A server over `backend`, its files and log in `dir`; not started yet.
    pub fn new(dir: &Path, backend: Backend) -> Server {
        let db = match backend {
            Backend::Sqlite => format!("sqlite:{}", dir.join("server.db").display()),
            Backend::Postgres(url) => url,
        };
        Server {
            bin: binary("tally-server"),
            db,
            addr: SocketAddr::from(([127, 0, 0, 1], free_port())),
            dir: dir.to_path_buf(),
            log: dir.join("server.log"),
            child: None,
        }
    }

    /// The URL devices log in to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Run an admin command (`unit add …`, `user add …`) that must succeed.
    pub fn admin(&self, cmd: &str, stdin: Option<&str>) {
        ok(&self.bin, &with_db(&self.db, cmd), stdin, &self.dir);
    }

    /// Run an admin command that may fail: how it went.
    pub fn admin_run(&self, cmd: &str, stdin: Option<&str>) -> Out {
        run(&self.bin, &with_db(&self.db, cmd), stdin, &self.dir)
    }

    /// Start `serve` and wait until GET /api/v1/health answers.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let listen = self.addr.to_string();
        let child = Command::new(&self.bin)
            .args(["--db", &self.db, "serve", "--listen", &listen])
            .current_dir(&self.dir)
            .env_remove("TALLY_SERVER_DB")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start tally-server");
        self.child = Some(child);
        let deadline = Instant::now() + START_LIMIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                panic!("tally-server exited at start ({status}):\n{}", self.log());
            }
            if health(self.addr).is_some_and(|h| h["status"] == "ok") {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "tally-server did not answer on {} within {START_LIMIT:?}:\n{}",
            self.addr,
            self.log()
        );
    }

    /// Kill the server (like a power cut: no graceful shutdown) and reap it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// GET /api/v1/health by hand (HTTP/1.1, one request per connection): the JSON body of
/// a 200 answer, or `None`.
fn health(addr: SocketAddr) -> Option<Value> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    let request =
        format!("GET /api/v1/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    s.take(64 * 1024).read_to_end(&mut answer).ok()?;
    let answer = String::from_utf8(answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    serde_json::from_str(body).ok()
}

/// A device: the `tally` binary over its own database file. Commands are one string
/// split on whitespace (no argument of the story has a space).
pub struct Device {
    bin: PathBuf,
    db: String,
    dir: PathBuf,
}

impl Device {
    /// Set up a new device named `name` with its database `file` in `dir`.
    pub fn init(dir: &Path, file: &str, name: &str) -> Device {
        let d = Device {
            bin: binary("tally"),
            db: dir.join(file).display().to_string(),
            dir: dir.to_path_buf(),
        };
        d.ok(&format!("init --device-name {name}"));
        d
    }

    /// Run `tally --db FILE cmd`, with `stdin` if given.
    pub fn run(&self, cmd: &str, stdin: Option<&str>) -> Out {
        run(&self.bin, &with_db(&self.db, cmd), stdin, &self.dir)
    }

    /// A command that must succeed; its stdout.
    pub fn ok(&self, cmd: &str) -> String {
        self.ok_with(cmd, None)
    }

    /// A command that must succeed, with `stdin` if given; its stdout.
    fn ok_with(&self, cmd: &str, stdin: Option<&str>) -> String {
        ok(&self.bin, &with_db(&self.db, cmd), stdin, &self.dir).stdout
    }

    /// A command that must succeed, with `--json`; its output.
    pub fn json(&self, cmd: &str) -> Value {
        let text = self.ok(&format!("--json {cmd}"));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("tally {cmd}: not JSON ({e}): {text}"))
    }

    /// Enrol with `server` as `user`, the password on stdin.
    pub fn login(&self, server: &str, user: &str, password: &str) {
        let cmd = format!("login --server {server} --user {user} --password-stdin");
        self.ok_with(&cmd, Some(password));
    }

    /// `tally sync --json`, which must succeed: its report.
    pub fn sync(&self) -> Value {
        self.json("sync")
    }

    /// The number of changes waiting to be sent.
    pub fn pending(&self) -> u64 {
        self.json("status")["pending"]
            .as_u64()
            .expect("status has pending")
    }
}
