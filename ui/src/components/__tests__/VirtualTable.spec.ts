// The households list's table: of 20 000 rows only those in view (and a few either side)
// are in the page; scrolling brings the right rows in, a row's double-click opens it, a new
// list starts at its top, and vnode cells (a button) work.
import { describe, expect, it } from "vitest";
import { h, nextTick } from "vue";
import { mount } from "@vue/test-utils";
import VirtualTable from "../VirtualTable.vue";
import type { VirtualColumn } from "../virtual";

type R = { id: string; name: string };
const rows = (n: number, prefix = "户") => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, name: `${prefix}主${i}` }));
const opened: R[] = [];
// As the table sees its rows once mounted (its generic is gone by then).
const columns: VirtualColumn<{ id: string }>[] = [
  { key: "name", title: "户主", width: 120, cell: (r) => (r as R).name },
  { key: "open", title: "", width: 80, cell: (r) => h("button", { "data-test": "open", onClick: () => opened.push(r as R) }, "查看") },
];

function table(list: R[]) {
  return mount(VirtualTable, { props: { rows: list, columns, rowHeight: 40, overscan: 2 }, attachTo: document.body });
}
const names = (w: ReturnType<typeof table>) => w.findAll(".vt-row").map((r) => r.find(".vt-cell").text());

async function scrollTo(w: ReturnType<typeof table>, top: number) {
  const el = w.find(".vt").element as HTMLElement;
  el.scrollTop = top;
  await w.find(".vt").trigger("scroll");
  await nextTick();
}

describe("VirtualTable", () => {
  it("puts only the rows in view in the page, however long the list", () => {
    const w = table(rows(20_000));
    // jsdom lays nothing out: the table assumes 600 px, 15 rows, and 2 either side.
    expect(names(w).length).toBe(19);
    expect(names(w)[0]).toBe("户主0");
    expect(w.find(".vt-space").attributes("style")).toContain("height: 800000px");
    expect(w.find(".vt").attributes("aria-rowcount")).toBe("20000");
  });

  it("shows the rows at the scroll position, the row in view first after the overscan", async () => {
    const w = table(rows(20_000));
    await scrollTo(w, 40 * 10_000 + 13);
    expect(names(w)[0]).toBe("户主9998");
    expect(names(w)).toContain("户主10000");
    expect(w.find(".vt-rows").attributes("style")).toContain(`translateY(${9998 * 40}px)`);
    await scrollTo(w, 40 * 19_999);
    expect(names(w).at(-1)).toBe("户主19999");
  });

  it("opens a row on double-click and runs a cell's own button", async () => {
    opened.length = 0;
    const w = table(rows(50));
    await w.findAll(".vt-row")[3].trigger("dblclick");
    expect(w.emitted("open")?.[0]).toEqual([{ id: "户3", name: "户主3" }]);
    await w.findAll("[data-test=open]")[1].trigger("click");
    expect(opened).toEqual([{ id: "户1", name: "户主1" }]);
  });

  it("starts a new list (another search) at its top", async () => {
    const w = table(rows(20_000));
    await scrollTo(w, 40 * 500);
    expect(names(w)[0]).toBe("户主498");
    await w.setProps({ rows: rows(30, "新") });
    expect(names(w)[0]).toBe("新主0");
    expect((w.find(".vt").element as HTMLElement).scrollTop).toBe(0);
  });

  it("says the list is empty in the caller's words", async () => {
    const w = mount(VirtualTable, { props: { rows: [] as R[], columns, emptyText: "暂无数据" } });
    expect(w.find(".vt-empty").text()).toBe("暂无数据");
    expect(w.findAll(".vt-row").length).toBe(0);
  });
});
