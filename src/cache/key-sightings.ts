/** Slots in {@link KeySightings} (a power of two): 2^20 bits, 128 KiB. */
const SLOTS = 1 << 20;

/**
 * Which keys this process has asked before, approximately: one bit per slot of a hash of the key,
 * never cleared. A key never asked is most likely not cached either (a node's first pass over its
 * users after a restart, a user who has not called for a while), so the engine reads such a key
 * and asks for its lease in the same write. The answer can be wrong only one way: two keys sharing
 * a slot make the second look asked before, and it then takes the ordinary path, a read first.
 */
export class KeySightings {
  private readonly bits = new Uint32Array(SLOTS >>> 5);

  /** True the first time `key` (or a key sharing its slot) is seen; marks it seen. */
  firstSight(key: string): boolean {
    // FNV-1a over the UTF-16 units: cheap, and spreads keys that differ in their last characters.
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    const slot = (hash >>> 0) & (SLOTS - 1);
    const word = slot >>> 5;
    const bit = 1 << (slot & 31);
    const bits = this.bits[word] as number;
    if ((bits & bit) !== 0) return false;
    this.bits[word] = bits | bit;
    return true;
  }
}
