/**
 * A small LRU of the newest JSON this process read or wrote per object. An (object, RV) pair names one
 * immutable state, so a hit whose RV equals an update's expected RV is exactly the object being replaced: the
 * change-log entry gets its `previous` without another read (the layer above reads before it writes).
 */
export class PreviousCache {
  private readonly entries = new Map<string, { rv: number; json: string }>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxJsonBytes = 256 * 1024,
  ) {}

  get(key: string, rv: number): string | undefined {
    const hit = this.entries.get(key);
    if (!hit || hit.rv !== rv) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.json;
  }

  set(key: string, rv: number, json: string): void {
    this.entries.delete(key);
    if (this.maxEntries <= 0 || json.length > this.maxJsonBytes) return;
    this.entries.set(key, { rv, json });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
