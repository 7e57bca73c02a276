//! What a run prints: one JSON line per figure as it is measured (for scripts), and a
//! readable table of them all at the end.

use serde_json::{Map, Value};

/// The figures of one run.
#[derive(Default)]
pub struct Report {
    figures: Vec<Map<String, Value>>,
}

impl Report {
    /// Record and print one figure: `{"scenario": …, "case": …, …fields}`.
    pub fn add(&mut self, scenario: &str, case: &str, fields: Value) {
        let mut line = Map::new();
        line.insert("scenario".into(), scenario.into());
        line.insert("case".into(), case.into());
        if let Value::Object(m) = fields {
            line.extend(m);
        }
        println!("{}", Value::Object(line.clone()));
        self.figures.push(line);
    }

    /// The readable table: one line per figure, its fields as `key=value`.
    pub fn table(&self) -> String {
        let w = |k: &str| {
            self.figures
                .iter()
                .map(|f| f.get(k).and_then(Value::as_str).map_or(0, str::len))
                .max()
                .unwrap_or(0)
        };
        let (ws, wc) = (w("scenario").max(8), w("case").max(4));
        let mut out = format!("{:ws$}  {:wc$}  figures\n", "scenario", "case");
        out.push_str(&format!("{}\n", "-".repeat(ws + wc + 12)));
        for f in &self.figures {
            let cell = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let rest: Vec<String> = f
                .iter()
                .filter(|(k, _)| *k != "scenario" && *k != "case")
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect();
            out.push_str(&format!(
                "{:ws$}  {:wc$}  {}\n",
                cell("scenario"),
                cell("case"),
                rest.join(" ")
            ));
        }
        out
    }
}
