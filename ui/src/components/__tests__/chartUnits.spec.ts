// The amounts chart shows one unit at a time: households, kilometres and people never
// share an axis; units with nothing to show are not offered.
import { describe, expect, it } from "vitest";
import type { LedgerLine } from "../../api/generated/LedgerLine";
import type { Metric } from "../../api/generated/Metric";
import type { PileKind } from "../../api/generated/PileKind";
import { chartUnits, rowsOfUnit } from "../chartUnits";

const UNIT: Partial<Record<Metric, string>> = {
  renovation: "户",
  "road-km": "公里",
  "water-people": "人",
  demolition: "户",
  "cleanup-tonnes": "吨",
};
const unitOf = (r: LedgerLine) => UNIT[r.key.metric] ?? "?";

function line(metric: Metric, started: number, target: number | null = null, pile: PileKind | null = null): LedgerLine {
  return {
    behind_pace: false,
    key: { metric, pile },
    target,
    started,
    completed: started,
    percent: null,
    remaining: null,
    required_per_day: null,
    last_7_days_per_day: 0,
    milestones: [],
  };
}

describe("chartUnits", () => {
  const rows = [
    line("renovation", 3),
    line("road-km", 2.5),
    line("water-people", 0),
    line("demolition", 0, 10),
    line("cleanup-tonnes", 4),
    line("cleanup-tonnes", 4, null, "hay"),
  ];

  it("offers each unit with something to show once, in the ledger's order", () => {
    expect(chartUnits(rows, unitOf)).toEqual(["户", "公里", "吨"]);
  });

  it("puts only one unit's whole metrics on the chart", () => {
    expect(rowsOfUnit(rows, "户", unitOf).map((r) => r.key.metric)).toEqual(["renovation", "demolition"]);
    expect(rowsOfUnit(rows, "吨", unitOf).map((r) => r.key.pile)).toEqual([null]);
  });

  it("offers every unit when nothing has been recorded yet", () => {
    const empty = [line("renovation", 0), line("road-km", 0), line("water-people", 0)];
    expect(chartUnits(empty, unitOf)).toEqual(["户", "公里", "人"]);
  });
});
