// Labels of the domain codes in the UI's language, and the code lists forms offer.
import { useI18n } from "vue-i18n";
import type { Category } from "../api/generated/Category";
import type { PileKind } from "../api/generated/PileKind";
import type { Rating } from "../api/generated/Rating";
import type { RenovationStatus } from "../api/generated/RenovationStatus";
import type { WorksKind } from "../api/generated/WorksKind";
import type { WorksStatus } from "../api/generated/WorksStatus";

export const CATEGORIES: Category[] = ["five-guarantee", "subsistence", "disabled-poor"];
export const RATINGS: Rating[] = ["A", "B", "C", "D"];
export const RENOVATION: RenovationStatus[] = ["planned", "started", "completed", "accepted"];
export const PILES: PileKind[] = ["firewood", "hay", "manure", "dirt", "garbage"];
export const WORKS_KINDS: WorksKind[] = ["road", "water", "culture-room", "clinic", "shop"];
export const WORKS_STATUS: WorksStatus[] = ["planned", "started", "completed"];
export const METRICS = ["renovation", "road-km", "water-sites", "water-people", "demolition", "cleanup-tonnes"] as const;

export function useCodes() {
  const { t, te } = useI18n();
  const label = (group: string, code: string | null | undefined) =>
    code == null ? "" : te(`codes.${group}.${code}`) ? t(`codes.${group}.${code}`) : code;
  return {
    category: (c: string) => label("category", c),
    rating: (c: string | null) => label("rating", c),
    renovation: (c: string | null) => label("renovation", c),
    pile: (c: string) => label("pile", c),
    worksKind: (c: string) => label("worksKind", c),
    worksStatus: (c: string) => label("worksStatus", c),
    level: (c: string) => label("level", c),
    role: (c: string | null | undefined) => (c && te(`sync.roles.${c}`) ? t(`sync.roles.${c}`) : (c ?? "")),
    /** `cleanup-tonnes:firewood` → `清理(吨)·柴堆`. */
    metric: (code: string) => {
      const [m, pile] = code.split(":");
      const base = label("metric", m);
      return pile ? `${base}·${label("pile", pile)}` : base;
    },
  };
}
