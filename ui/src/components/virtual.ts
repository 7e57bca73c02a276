import type { VNodeChild } from "vue";

/** A column of a VirtualTable: a fixed width and what each row shows in it. */
export interface VirtualColumn<R> {
  key: string;
  title: string;
  width: number;
  /** The cell's content: text, or a small vnode (a tag, a button). */
  cell: (row: R) => VNodeChild;
}
