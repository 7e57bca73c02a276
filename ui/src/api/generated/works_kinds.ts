// Generated from tally_core::WorksKind::def. Do not edit.
import type { WorksKind } from "./WorksKind";
/** The works kinds that record the people they serve. */
export const SERVES_PEOPLE: readonly WorksKind[] = ["water"];
