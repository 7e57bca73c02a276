//! What a person reads when something goes wrong: every error type a person can see
//! has a stable code and its message in Chinese and in English, written next to the type
//! (here in core for validation, in each library for its own errors), never again at an
//! edge. The CLI, the desktop's IPC and the server's HTTP answers all read them through
//! [`Explain`].

/// An error a person can read. `Display` is the English message.
pub trait Explain: std::fmt::Display {
    /// A stable machine-readable code (HTTP bodies, IPC, logs, tests).
    fn code(&self) -> &'static str;
    /// The message in Chinese, for the cadre.
    fn zh(&self) -> String;
    /// The message in English: lowercase, with the value that was wrong.
    fn en(&self) -> String {
        self.to_string()
    }
    /// The field at fault, named as in the schema, if one is.
    fn field(&self) -> Option<&str> {
        None
    }
}

impl Explain for crate::ValidationError {
    fn code(&self) -> &'static str {
        crate::ValidationError::code(self)
    }
    fn zh(&self) -> String {
        crate::ValidationError::zh(self)
    }
    fn en(&self) -> String {
        crate::ValidationError::en(self)
    }
    fn field(&self) -> Option<&str> {
        crate::ValidationError::field(self)
    }
}
