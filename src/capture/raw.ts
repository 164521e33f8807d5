// How an input-ring frame record becomes a `raw` Kafka record and back
// (docs/capture.md). The engine reads the ring header's `flags` (bit 0 the
// market, 0x100 a backfilled trade) and receive time, so both must survive the
// round trip exactly; the connection id (`aux`) is not read by the engine and
// is not kept.
import { MARKETS, marketCode, type VenueId } from '../events';
import type { RawFrame } from '../sink/schemas';

/** `conn` label that carries ring flags beyond the market bit (e.g. `flags=256` for a backfilled trade). */
const FLAGS_LABEL = /^flags=(\d{1,10})$/;

/**
 * The raw record of one frame. Frames with no flag beyond the market leave
 * `conn` out, so their key is `<venue>:*`: one venue's frames share a
 * partition and keep their arrival order there.
 */
export function rawFromFrame(venue: VenueId, flags: number, recvNs: bigint, frame: Buffer): RawFrame {
  const v: RawFrame = { venue, market: MARKETS[flags & 1] ?? 'spot', recvNs, frame };
  const extra = flags & ~1;
  if (extra !== 0) v.conn = `flags=${extra >>> 0}`;
  return v;
}

/** The ring flags a raw record was captured with (the inverse of rawFromFrame). */
export function flagsOfRaw(v: RawFrame): number {
  let flags = marketCode(v.market);
  const m = v.conn === undefined ? null : FLAGS_LABEL.exec(v.conn);
  if (m !== null) flags |= Number(m[1]) & ~1;
  return flags >>> 0;
}

/** The raw topic of a venue under a prefix (the sink's `raw` schema topic). */
export function rawTopic(prefix: string, venue: VenueId): string {
  return `${prefix}raw.${venue}`;
}
