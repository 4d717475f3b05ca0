/**
 * The product's shared words — severity, alert state, hotspot status, recommendation
 * status, member role — and their ranks, one definition each. The types come from
 * the generated `Database['public']['Enums']` (migrations/ is the one source), so a
 * new enum value fails type-checking here until it has a rank.
 *
 * Event category labels are not vocabulary: categories are free text and become org
 * data (org settings); their sentence labels live with the scan that writes them
 * (functions/hotspot-scan/rules/category-labels.ts).
 */
import type { Database } from './database.types.ts';

type Enums = Database['public']['Enums'];

export type Severity = Enums['severity'];
export type AlertState = Enums['alert_state'];
export type HotspotStatus = Enums['hotspot_status'];
export type RecommendationStatus = Enums['recommendation_status'];
export type MemberRole = Enums['member_role'];
export type ScanStatus = Enums['scan_status'];

/** low < medium < high < critical; also the recommendation revision of an alert tier. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = Object.freeze({ low: 1, medium: 2, high: 3, critical: 4 });

/** An alert's lifecycle order: pending → firing → acknowledged → resolved. */
export const ALERT_STATE_RANK: Readonly<Record<AlertState, number>> = Object.freeze({ pending: 0, firing: 1, acknowledged: 2, resolved: 3 });

/** A hotspot's lifecycle order: new → ongoing → resolved. */
export const HOTSPOT_STATUS_RANK: Readonly<Record<HotspotStatus, number>> = Object.freeze({ new: 0, ongoing: 1, resolved: 2 });

/** viewer < operator < admin: a role includes what every lower role may do. */
export const ROLE_RANK: Readonly<Record<MemberRole, number>> = Object.freeze({ viewer: 0, operator: 1, admin: 2 });

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

export function isMemberRole(v: unknown): v is MemberRole {
  return typeof v === 'string' && Object.hasOwn(ROLE_RANK, v);
}

/** Whether `role` includes `min` (an admin may do what an operator may). */
export function roleAtLeast(role: MemberRole, min: MemberRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[min];
}
