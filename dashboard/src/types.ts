/** Row types of the three live streams, as the client SDK delivers them. */
import type { AlertRow, ConnectionStatus, Database, HotspotRow, RecommendationRow, Severity } from '@hotwatch/client';

export type Hotspot = HotspotRow;
export type Alert = AlertRow;
export type Recommendation = RecommendationRow;
export type { ConnectionStatus, Severity };
export type Role = Database['public']['Enums']['member_role'];
