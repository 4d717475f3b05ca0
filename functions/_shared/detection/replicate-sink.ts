/**
 * Sparse receiver of one Monte Carlo replicate: counts per location × scanned bucket
 * plus the list of locations that received any case. Null replicates are mostly
 * empty (a city's hour has a few hundred events over tens of thousands of
 * cell-buckets), so generators write only where cases fall and the scanner
 * refreshes only those locations. `reset()` zeroes exactly what was written.
 */
export class ReplicateSink {
  readonly nLocations: number;
  readonly nBuckets: number;
  /** Counts, nLocations × nBuckets (row-major by location). */
  readonly x: Float64Array;
  /** Locations written since the last reset (first nTouched entries). */
  readonly touched: Int32Array;
  nTouched = 0;
  private readonly mark: Uint8Array;

  constructor(nLocations: number, nBuckets: number) {
    this.nLocations = nLocations;
    this.nBuckets = nBuckets;
    this.x = new Float64Array(nLocations * nBuckets);
    this.touched = new Int32Array(nLocations);
    this.mark = new Uint8Array(nLocations);
  }

  /** Add `count` cases at (location, bucket). */
  add(loc: number, bucket: number, count: number): void {
    if (this.mark[loc] === 0) {
      this.mark[loc] = 1;
      this.touched[this.nTouched++] = loc;
    }
    const i = loc * this.nBuckets + bucket;
    this.x[i] = this.x[i]! + count;
  }

  reset(): void {
    const B = this.nBuckets;
    for (let q = 0; q < this.nTouched; q++) {
      const l = this.touched[q]!;
      this.mark[l] = 0;
      this.x.fill(0, l * B, l * B + B);
    }
    this.nTouched = 0;
  }
}
