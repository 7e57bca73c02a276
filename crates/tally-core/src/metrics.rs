//! The campaign's metrics, declared once: for each [`Metric`] (its code and labels are in
//! `model.rs`) the unit it is counted in and what it counts — which record, and which of
//! its quantities; for each [`WorksKind`] the unit of its planned quantity and whether it
//! serves people. The ledger, the units shown beside every quantity (forms, CLI, export,
//! UI) and the targets' units come from here: the next campaign item is one line in the
//! enum, one entry here, and its tests.

use crate::model::{Measure, Metric, Scheme, WorksKind};

/// The part of a works item a metric counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorksAmount {
    /// Its planned quantity (kilometres, sites, hamlets, m², trees).
    Quantity,
    /// The people it serves.
    People,
}

/// What records a metric counts, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Households whose renovation started / completed, one each.
    Renovation,
    /// Works of one kind: started and completed, by their quantity or people served.
    Works(WorksKind, WorksAmount),
    /// Members of households insured by a scheme, as each household's record says now
    /// (undated: always counted, completed = covered).
    Insured(Scheme),
    /// Abandoned houses demolished, one each, on their date.
    Demolition,
    /// Tonnes of piles cleared, on their date, and per pile kind.
    Cleanup,
}

/// A metric's declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricDef {
    pub metric: Metric,
    pub measure: Measure,
    pub source: Source,
}

/// A works kind's declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorksDef {
    pub kind: WorksKind,
    /// The unit of its planned quantity.
    pub measure: Measure,
    /// Whether the people it serves are recorded (and counted).
    pub serves_people: bool,
}

impl MetricDef {
    /// Whether its records are accepted (验收) — renovated houses and works — so the
    /// ledger shows how much was accepted.
    pub fn accepted(&self) -> bool {
        matches!(self.source, Source::Renovation | Source::Works(..))
    }
}

impl Metric {
    /// What this metric counts, in what unit.
    pub fn def(self) -> MetricDef {
        use Measure as M;
        use WorksAmount::{People, Quantity};
        let (measure, source) = match self {
            Metric::Renovation => (M::Households, Source::Renovation),
            Metric::RoadKm => (M::Km, Source::Works(WorksKind::Road, Quantity)),
            Metric::WaterSites => (M::Sites, Source::Works(WorksKind::Water, Quantity)),
            Metric::WaterPeople => (M::People, Source::Works(WorksKind::Water, People)),
            Metric::Power => (M::Hamlets, Source::Works(WorksKind::Power, Quantity)),
            Metric::Broadcast => (M::Hamlets, Source::Works(WorksKind::Broadcast, Quantity)),
            Metric::School => (M::SquareMetres, Source::Works(WorksKind::School, Quantity)),
            Metric::Clinic => (M::Sites, Source::Works(WorksKind::Clinic, Quantity)),
            Metric::CultureRoom => (M::Sites, Source::Works(WorksKind::CultureRoom, Quantity)),
            Metric::Shop => (M::Sites, Source::Works(WorksKind::Shop, Quantity)),
            Metric::Pension => (M::People, Source::Insured(Scheme::Pension)),
            Metric::Medical => (M::People, Source::Insured(Scheme::Medical)),
            Metric::Demolition => (M::Households, Source::Demolition),
            Metric::CleanupTonnes => (M::Tonnes, Source::Cleanup),
            Metric::Greening => (M::Trees, Source::Works(WorksKind::Greening, Quantity)),
        };
        MetricDef {
            metric: self,
            measure,
            source,
        }
    }

    /// The unit it is counted in.
    pub fn measure(self) -> Measure {
        self.def().measure
    }
}

impl WorksKind {
    /// The unit of its quantity and whether it serves people.
    pub fn def(self) -> WorksDef {
        use Measure as M;
        let (measure, serves_people) = match self {
            WorksKind::Road => (M::Km, false),
            WorksKind::Water => (M::Sites, true),
            WorksKind::Power => (M::Hamlets, false),
            WorksKind::Broadcast => (M::Hamlets, false),
            WorksKind::School => (M::SquareMetres, false),
            WorksKind::Clinic => (M::Sites, false),
            WorksKind::CultureRoom => (M::Sites, false),
            WorksKind::Shop => (M::Sites, false),
            WorksKind::Greening => (M::Trees, false),
        };
        WorksDef {
            kind: self,
            measure,
            serves_people,
        }
    }

    /// The metrics a works item of this kind counts toward, with the amount each takes.
    pub fn metrics(self) -> impl Iterator<Item = (Metric, WorksAmount)> {
        Metric::ALL
            .iter()
            .filter_map(move |m| match m.def().source {
                Source::Works(kind, amount) if kind == self => Some((*m, amount)),
                _ => None,
            })
    }
}

impl Scheme {
    /// The household field that records it.
    pub fn field(self) -> &'static str {
        self.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_works_kind_counts_toward_a_metric_in_its_own_unit() {
        for kind in WorksKind::ALL {
            let metrics: Vec<_> = kind.metrics().collect();
            assert!(!metrics.is_empty(), "{kind} reaches no ledger row");
            for (metric, amount) in metrics {
                let expected = match amount {
                    WorksAmount::Quantity => kind.def().measure,
                    WorksAmount::People => Measure::People,
                };
                assert_eq!(metric.measure(), expected, "{kind} → {metric}");
                if amount == WorksAmount::People {
                    assert!(
                        kind.def().serves_people,
                        "{kind} counts people it does not record"
                    );
                }
            }
        }
    }

    #[test]
    fn every_metric_is_declared_with_its_unit_in_its_label() {
        for m in Metric::ALL {
            let d = m.def();
            assert_eq!(d.metric, *m);
            assert!(m.zh().contains(d.measure.zh()), "{}: {}", m, m.zh());
            assert!(m.en().contains(d.measure.en()), "{}: {}", m, m.en());
        }
        assert_eq!(Metric::ALL.len(), 15, "the campaign's fifteen metrics");
    }
}
