//! Tauri's build step, with an app manifest: the webview may call the app's own
//! commands (listed in src/commands/names.rs) and nothing else.

include!("src/commands/names.rs");

fn main() {
    // tally-desktop embeds ui/dist. When it is not built (a `cargo clippy --workspace`
    // before the UI build), embed a page that says so rather than fail the build.
    let dist = std::path::Path::new("../ui/dist");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.join("index.html").exists() {
        println!("cargo:warning=ui/dist is not built: run `cd ui && npm ci && npm run build`");
        std::fs::create_dir_all(dist).expect("create ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Tally</title>\
             <p>界面尚未构建 / the UI is not built: <code>cd ui &amp;&amp; npm ci &amp;&amp; npm run build</code></p>",
        )
        .expect("write ui/dist/index.html");
    }
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build step");
}
