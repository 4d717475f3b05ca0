/**
 * Local equirectangular projection: km east/north of a reference point, then SVG
 * user units (1 km = 100 units, y down). Accurate to well under a pixel across a city.
 */
export const UNITS_PER_KM = 100;

export interface LatLng { lat: number; lng: number }

export class Projection {
  private readonly kx: number;
  constructor(readonly ref: LatLng) {
    this.kx = 111.32 * Math.cos((ref.lat * Math.PI) / 180);
  }

  /** km east (x) and north (y) of the reference. */
  toKm(lat: number, lng: number): [number, number] {
    let dLng = lng - this.ref.lng;
    if (dLng > 180) dLng -= 360;
    if (dLng < -180) dLng += 360;
    return [dLng * this.kx, (lat - this.ref.lat) * 110.57];
  }

  /** km → SVG units. */
  kmToSvg(x: number, y: number): [number, number] {
    return [x * UNITS_PER_KM, -y * UNITS_PER_KM];
  }

  toSvg(lat: number, lng: number): [number, number] {
    const [x, y] = this.toKm(lat, lng);
    return this.kmToSvg(x, y);
  }
}

/** SVG points attribute from [x, y] pairs, rounded to 0.1 unit (10 m) to keep the DOM small. */
export function points(pts: ReadonlyArray<readonly [number, number]>): string {
  return pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
}
