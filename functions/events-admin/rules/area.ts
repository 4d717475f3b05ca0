/**
 * Which events an erasure's GeoJSON area names (pure): the database narrows the period's
 * events to the area's bounding box, these rules keep those whose point lies inside
 * (even-odd, holes excluded — _shared/geojson.ts), as the districts do.
 */
import { geometryContains, polygonsOf, type AreaGeometry } from '../../_shared/geojson.ts';

export interface BoundingBox {
  south: number;
  west: number;
  north: number;
  east: number;
}

export function boundingBox(g: AreaGeometry): BoundingBox {
  const box = { south: Infinity, west: Infinity, north: -Infinity, east: -Infinity };
  for (const p of polygonsOf(g)) {
    for (const [lng, lat] of p[0]!) {
      box.south = Math.min(box.south, lat);
      box.north = Math.max(box.north, lat);
      box.west = Math.min(box.west, lng);
      box.east = Math.max(box.east, lng);
    }
  }
  return box;
}

export interface PlacedEvent {
  id: string;
  lat: number;
  lng: number;
}

/** The ids of the events inside the area. */
export function idsInside(events: readonly PlacedEvent[], g: AreaGeometry): string[] {
  return events.filter((e) => geometryContains(g, e.lat, e.lng)).map((e) => e.id);
}
