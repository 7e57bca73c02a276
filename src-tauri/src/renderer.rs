//! Which WebKitGTK renderer the window uses on Linux. Its default draws through the GPU
//! (DMA-BUF buffers); on a machine without a GPU render node (a virtual machine, a
//! remote desktop, an old laptop whose driver Mesa does not accelerate) that path falls
//! back to software GL and repaints at 10–16 frames a second, where the shared-memory
//! renderer paints at 60 (BENCHMARKS.md, the desktop at banner scale). So without a
//! render node the app asks for the shared-memory renderer, unless the person running it
//! set `WEBKIT_DISABLE_DMABUF_RENDERER` themselves (either way).

use std::ffi::OsStr;
use std::path::Path;

/// WebKitGTK's own switch.
pub const SWITCH: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// Whether to turn the switch on: not set by the user, and no GPU render node.
pub fn software_wanted(already_set: Option<&OsStr>, render_node: bool) -> bool {
    already_set.is_none() && !render_node
}

/// Whether `dir` (normally /dev/dri) holds a render node (`renderD128`, …).
pub fn has_render_node(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Set the switch for this process when it is wanted. Call first thing in `main`,
/// before any thread starts (the environment is process-wide).
pub fn choose() {
    if cfg!(target_os = "linux")
        && software_wanted(
            std::env::var_os(SWITCH).as_deref(),
            has_render_node(Path::new("/dev/dri")),
        )
    {
        std::env::set_var(SWITCH, "1");
        tracing::info!("no GPU render node in /dev/dri: WebKitGTK's shared-memory renderer");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_goes_on_only_without_a_render_node_and_unless_set() {
        let cases = [
            (None, false, true),
            (None, true, false),
            (Some("0"), false, false),
            (Some("1"), true, false),
        ];
        for (set, node, want) in cases {
            assert_eq!(
                software_wanted(set.map(OsStr::new), node),
                want,
                "set {set:?}, render node {node}"
            );
        }
    }

    #[test]
    fn a_render_node_is_found_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dir.path()));
        assert!(!has_render_node(&dir.path().join("missing")));
        std::fs::write(dir.path().join("card0"), "").unwrap();
        assert!(!has_render_node(dir.path()), "a card is not a render node");
        std::fs::write(dir.path().join("renderD128"), "").unwrap();
        assert!(has_render_node(dir.path()));
    }
}
