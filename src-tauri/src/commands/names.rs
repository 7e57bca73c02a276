// The app's own commands, noun_verb. Included by build.rs (the app manifest, so that the
// webview may call these and nothing else) and by the crate (tests compare it with the
// invoke handler, the capability and the TypeScript wrappers).
pub const COMMANDS: &[&str] = &[
    "status_get",
    "unit_list",
    "ledger_get",
    "household_list",
    "household_get",
    "household_save",
    "visit_save",
    "renovation_save",
    "demolition_save",
    "cleanup_save",
    "works_list",
    "works_save",
    "target_save",
    "entry_list",
    "sync_login",
    "sync_run",
    "outbox_list",
    "outbox_resend",
    "outbox_withdraw",
    "conflict_list",
    "conflict_resolve",
    "export_write",
    "settings_get",
    "settings_save",
];
