// Generated from tally_core::Role::capabilities. Do not edit.
import type { Capabilities } from "./Capabilities";
import type { Role } from "./Role";
export const CAPABILITIES: Record<Role, Capabilities> = {
  cadre: {"write_records":true,"plan":false,"correct":false,"review_conflicts":false,"resolve_conflicts":false,"write_findings":false,"works_in_villages":true},
  leader: {"write_records":true,"plan":true,"correct":true,"review_conflicts":true,"resolve_conflicts":true,"write_findings":true,"works_in_villages":false},
  inspector: {"write_records":false,"plan":false,"correct":false,"review_conflicts":true,"resolve_conflicts":false,"write_findings":true,"works_in_villages":false},
  admin: {"write_records":true,"plan":true,"correct":true,"review_conflicts":true,"resolve_conflicts":true,"write_findings":true,"works_in_villages":false},
};
