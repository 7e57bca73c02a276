//! Tally's pure domain core: the glossary as types, validation, the hybrid logical
//! clock, the change type, the field-level merge shared by device and server, and the
//! progress ledger. Nothing here does IO: time, ids and randomness come in as arguments.

pub mod change;
pub mod error;
pub mod hlc;
pub mod ids;
pub mod input;
pub mod labels;
pub mod ledger;
pub mod merge;
pub mod metrics;
pub mod model;
pub mod records;
pub mod schema;
pub mod scope;
pub mod summary;
pub mod text;

pub use change::{Change, FieldEdit, FieldState, Loser, Row, Version};
pub use error::{Invalid, ValidationError};
pub use hlc::{Clock, FakeClock, Hlc, HlcClock};
pub use ids::{ChangeId, DeviceId, IdSource, NaturalKey, RowId};
pub use labels::Lang;
pub use ledger::{Fact, Ledger, LedgerRow, MilestoneState, MilestoneStatus, RowKey};
pub use merge::{merge, version_taken, Conflict, Merged};
pub use model::*;
pub use records::Records;
pub use summary::{EntrySummary, FieldValue};
pub use text::Explain;
