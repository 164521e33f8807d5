// Removing the duplicates an at-least-once compute run leaves behind
// (docs/capture.md "Duplicates"). After a crash, the restarted process
// re-publishes the outputs of every frame after the last committed offset,
// and the crashed one may already have delivered some of them. Per topic and
// key the stream is then "… a b c d | c d e …": a repeat of a contiguous run.
//
// A record's identity is (topic, key, emitTs, n): emitTs is the engine clock,
// i.e. the receive time of the frame that produced the record, and n its
// ordinal among the records of that key with the same emitTs. The content
// alone is not an identity: one frame can legitimately yield two equal
// records on a key (e.g. two book updates that leave the top unchanged).

/** Per topic and key: the last accepted (emitTs, ordinal), and the ordinal of the incoming group. */
interface KeyState {
  lastTs: number;
  lastN: number;
  curTs: number;
  curN: number;
}

/**
 * Streaming de-duplication in O(keys) memory. Feed every record of a topic
 * in partition order; `accept` says whether it is new. Needs the per-key
 * order Kafka keeps (and the never-drop policy for exact results: a
 * conflated stream has no ordinals to speak of).
 */
export class Deduper {
  private readonly keys = new Map<string, KeyState>();
  /** Records recognized as repeats so far. */
  duplicates = 0;

  accept(topic: string, key: string, emitTs: number): boolean {
    const id = `${topic}\u0000${key}`;
    let s = this.keys.get(id);
    if (s === undefined) {
      s = { lastTs: -Infinity, lastN: 0, curTs: Number.NaN, curN: 0 };
      this.keys.set(id, s);
    }
    if (emitTs !== s.curTs) {
      s.curTs = emitTs;
      s.curN = 0;
    }
    s.curN++;
    if (emitTs > s.lastTs || (emitTs === s.lastTs && s.curN > s.lastN)) {
      s.lastTs = emitTs;
      s.lastN = s.curN;
      return true;
    }
    this.duplicates++;
    return false;
  }
}
