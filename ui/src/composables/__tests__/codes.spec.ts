// The code lists forms offer come from core (the generated labels), in core's order: a
// new works kind or metric appears in every form without an edit here.
import { describe, expect, it } from "vitest";
import { METRICS, PILES, WORKS_KINDS } from "../codes";
import { SERVES_PEOPLE } from "../../api/generated/works_kinds";

describe("code lists", () => {
  it("offer every works kind and every metric core declares", () => {
    expect(WORKS_KINDS).toEqual(["road", "water", "power", "broadcast", "school", "clinic", "culture-room", "shop", "greening"]);
    expect(METRICS).toHaveLength(15);
    expect(METRICS.slice(0, 2)).toEqual(["renovation", "road-km"]);
    expect(METRICS).toContain("pension");
    expect(PILES).toEqual(["firewood", "hay", "manure", "dirt", "garbage"]);
  });

  it("ask for the people served only where a works kind serves people", () => {
    expect(SERVES_PEOPLE).toEqual(["water"]);
  });
});
