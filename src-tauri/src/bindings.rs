//! The TypeScript side of the IPC, generated from the Rust types into
//! ui/src/api/generated/, and the checks that keep the command list, the invoke
//! handler, the capability and the generated files in step. A test fails on drift;
//! `TALLY_UPDATE_BINDINGS=1 cargo test -p tally-desktop bindings` rewrites the files.

use crate::commands::COMMANDS;
use crate::dto::*;
use crate::error::IpcError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::{Config, TS};

fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/api/generated")
}

fn export_all(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    macro_rules! export {
        ($($t:ty),+ $(,)?) => { $( <$t as TS>::export_all(&cfg).expect(stringify!($t)); )+ };
    }
    export!(
        IpcError,
        AppStatus,
        SettingsView,
        HouseholdQuery,
        HouseholdPage,
        tally_store::HouseholdDetail,
        HouseholdInput,
        VisitInput,
        RenovationInput,
        DemolitionInput,
        CleanupInput,
        SavedLoad,
        WorksInput,
        WorksItem,
        ProgressInput,
        TargetInput,
        MilestoneInput,
        EntryView,
        ConflictView,
        tally_store::Resolution,
        SyncProgress,
        SyncResult,
        LoginResult,
        ExportInput,
        ExportResult,
        tally_core::OrgUnit,
        UnitView,
        LedgerView,
        RosterOutcome,
        CorrectInput,
        TargetKey,
        tally_store::RosterImport,
        tally_store::LineProblem,
        tally_store::DuplicateGroup,
        tally_store::MergeResult,
        tally_core::DuplicateReason,
        tally_core::VillageFlag,
        tally_core::Group,
        tally_core::ledger::GroupRow,
        tally_core::Works,
        tally_store::OutboxState,
        tally_store::Withdrawal,
        BackupEntry,
        RestoreResult,
        BundlePlace,
        BundleWritten,
        ReceiptsFile,
        ReceiptsResult,
    );
    // What each role may do, from core, for the UI's tests and fixtures.
    let roles: Vec<String> = tally_core::Role::ALL
        .iter()
        .map(|r| {
            let can = serde_json::to_string(&r.capabilities()).unwrap();
            format!("  {}: {can},", r.code())
        })
        .collect();
    std::fs::write(
        dir.join("roles.ts"),
        format!(
            "// Generated from tally_core::Role::capabilities. Do not edit.\n\
             import type {{ Capabilities }} from \"./Capabilities\";\n\
             import type {{ Role }} from \"./Role\";\n\
             export const CAPABILITIES: Record<Role, Capabilities> = {{\n{}\n}};\n",
            roles.join("\n")
        ),
    )
    .unwrap();
    // What each works kind records, from core's declarations (`metrics.rs`).
    let serving: Vec<String> = tally_core::WorksKind::ALL
        .iter()
        .filter(|k| k.def().serves_people)
        .map(|k| format!("\"{}\"", k.code()))
        .collect();
    std::fs::write(
        dir.join("works_kinds.ts"),
        format!(
            "// Generated from tally_core::WorksKind::def. Do not edit.\n\
             import type {{ WorksKind }} from \"./WorksKind\";\n\
             /** The works kinds that record the people they serve. */\n\
             export const SERVES_PEOPLE: readonly WorksKind[] = [{}];\n",
            serving.join(", ")
        ),
    )
    .unwrap();
    std::fs::write(dir.join("labels.ts"), labels_ts()).unwrap();
    let names: Vec<String> = COMMANDS.iter().map(|c| format!("  \"{c}\",")).collect();
    std::fs::write(
        dir.join("commands.ts"),
        format!(
            "// Generated from src-tauri/src/commands/names.rs. Do not edit.\n\
             export const COMMANDS = [\n{}\n] as const;\n\
             export type Command = (typeof COMMANDS)[number];\n",
            names.join("\n")
        ),
    )
    .unwrap();
}

/// The labels of every code, table and field in both languages, from core: the UI's
/// vue-i18n messages `codes.*` are these, so a label is written once (in core).
fn labels_ts() -> String {
    use tally_core::labels::{Lang, FIELDS};
    use tally_core::*;
    fn group<T: Copy>(
        name: &str,
        all: &[T],
        code: fn(T) -> &'static str,
        label: impl Fn(T) -> &'static str,
    ) -> String {
        let items: Vec<String> = all
            .iter()
            .map(|c| format!("{:?}: {:?}", code(*c), label(*c)))
            .collect();
        format!("    {name}: {{ {} }},\n", items.join(", "))
    }
    let mut out = String::from(
        "// Generated from tally_core (the codes in model.rs, the fields in labels.rs). Do not edit.\n\
         export type CodeLabels = Record<string, Record<string, string>>;\n\
         export const LABELS: Record<\"zh-CN\" | \"en\", CodeLabels> = {\n",
    );
    for lang in Lang::ALL.iter().copied() {
        out.push_str(&format!("  {:?}: {{\n", lang.tag()));
        macro_rules! groups {
            ($($name:literal: $t:ty),+ $(,)?) => {
                $(out.push_str(&group($name, <$t>::ALL, <$t>::code, |c| c.label(lang)));)+
            };
        }
        groups!(
            "category": Category,
            "rating": Rating,
            "renovation": RenovationStatus,
            "pile": PileKind,
            "worksKind": WorksKind,
            "worksStatus": WorksStatus,
            "metric": Metric,
            "level": Level,
            "table": Table,
            "role": Role,
            "villageFlag": VillageFlag,
            "group": Group,
            "duplicateReason": DuplicateReason,
        );
        let fields: Vec<String> = FIELDS
            .iter()
            .map(|(name, ..)| format!("{name:?}: {:?}", tally_core::labels::field(name, lang)))
            .collect();
        out.push_str(&format!("    field: {{ {} }},\n", fields.join(", ")));
        // `table/field` or `table/field/kind` (works kind, target metric) → its unit.
        let units: Vec<String> = tally_core::labels::units()
            .into_iter()
            .map(|(table, field, kind, zh, en)| {
                let key = match kind {
                    Some(k) => format!("{}/{field}/{k}", table.code()),
                    None => format!("{}/{field}", table.code()),
                };
                format!("{key:?}: {:?}", if lang == Lang::Zh { zh } else { en })
            })
            .collect();
        out.push_str(&format!("    unit: {{ {} }},\n", units.join(", ")));
        out.push_str("  },\n");
    }
    out.push_str("};\n");
    out
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    out
}

#[test]
fn typescript_bindings_match_the_rust_types() {
    let tmp = tempfile::tempdir().unwrap();
    export_all(tmp.path());
    let fresh = files(tmp.path());
    let target = generated_dir();
    if std::env::var_os("TALLY_UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&target);
        for (rel, text) in &fresh {
            let p = target.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        return;
    }
    let committed = files(&target);
    let differing: Vec<&String> = fresh
        .keys()
        .chain(committed.keys())
        .filter(|k| fresh.get(*k) != committed.get(*k))
        .collect();
    assert!(
        differing.is_empty(),
        "ui/src/api/generated is out of date for {differing:?}: run scripts/check-ts-types.sh \
         or TALLY_UPDATE_BINDINGS=1 cargo test -p tally-desktop bindings"
    );
}

#[test]
fn every_command_is_handled_and_allowed_and_no_other() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    let handler = lib
        .split("generate_handler![")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap();
    let mut handled: Vec<&str> = handler
        .split(',')
        .filter_map(|s| s.trim().rsplit("::").next())
        .filter(|s| !s.is_empty())
        .collect();
    let mut listed = COMMANDS.to_vec();
    handled.sort_unstable();
    listed.sort_unstable();
    assert_eq!(handled, listed, "generate_handler! and names.rs disagree");
    for c in COMMANDS {
        let parts: Vec<&str> = c.split('_').collect();
        assert!(
            parts.len() >= 2
                && parts
                    .iter()
                    .all(|p| p.chars().all(|ch| ch.is_ascii_lowercase())),
            "{c} is not noun_verb"
        );
    }
    let cap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("capabilities/default.json")).unwrap())
            .unwrap();
    let mut allowed: Vec<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let mut want: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    allowed.sort();
    want.sort();
    assert_eq!(
        allowed, want,
        "the capability must allow exactly the app's commands"
    );
}
