// Feeds frames through an inline engine as they come, draining its output as
// it goes: the streaming form of the product path for tools that read frames
// one by one (normalize, book, replay). Order is preserved end to end.
import type { Engine } from './engine';
import { RECORD_HEADER_BYTES, type RecordMeta, type RecordView } from './ring';

export class EngineStream {
  private pendingBytes = 0;
  private readonly budget: number;

  constructor(
    private readonly engine: Engine,
    private readonly onRecord: (record: RecordView) => void,
  ) {
    // Pump before the input ring is half full, so a frame always finds room
    // after a pump (a record may take up to half the ring).
    this.budget = engine.writer.capacity / 2;
  }

  push(meta: RecordMeta, payload: Uint8Array): void {
    const bytes = (RECORD_HEADER_BYTES + payload.byteLength + 7) & ~7;
    if (this.pendingBytes + bytes > this.budget) this.pump();
    if (!this.engine.writer.write(meta, payload)) {
      this.pump();
      if (!this.engine.writer.write(meta, payload))
        throw new Error('input ring has no room for a frame after draining');
    }
    this.pendingBytes += bytes;
  }

  /** Runs the engine until every pushed frame is handled and its output read. */
  pump(): void {
    for (;;) {
      const handled = this.engine.poll();
      const drained = this.engine.reader.drain(this.onRecord);
      if (this.engine.stats().input.usedBytes === 0) break;
      if (handled === 0 && drained === 0) throw new Error('engine made no progress (input ring corrupt?)');
    }
    this.engine.reader.drain(this.onRecord);
    this.pendingBytes = 0;
  }
}
