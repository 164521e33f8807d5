// The spill journal: an append-only, segmented log of length-prefixed,
// CRC32-checked records on local disk. The sink writes records here when its
// memory buffer is full and replays them, in order, when Kafka is back.
// Layout and guarantees: docs/sink.md.
//
// record   = u32 LE payload length | u32 LE CRC32(payload) | payload
// segment  = seg-<12-digit seq>.log, records back to back
// cursor   = cursor.json {"seg":N,"off":M}: everything before it was delivered
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  readFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export type FsyncPolicy = 'always' | 'never' | { intervalMs: number };

export interface JournalOptions {
  dir: string;
  /** Bound on the journal's disk use (all segment files). Default 1 GiB. */
  maxBytes?: number;
  /** A new segment file is started past this size. Default 64 MiB. */
  segmentBytes?: number;
  /**
   * `always`: fdatasync after every append (each append durable when it returns; slow).
   * `{intervalMs}`: written at once to the OS, fdatasync at most every intervalMs (default 200 ms).
   * `never`: left to the OS.
   */
  fsync?: FsyncPolicy;
  /** Records larger than this are refused (append) or treated as corruption (read). Default 64 MiB. */
  maxRecordBytes?: number;
  log?: (line: string) => void;
}

export interface JournalPosition {
  seg: number;
  /** Byte offset just past the record. */
  off: number;
}

export interface JournalEntry {
  payload: Buffer;
  /** Position just past this entry: commit it once the entry was delivered. */
  pos: JournalPosition;
}

export interface JournalStats {
  /** Records appended and not yet read back. */
  unreadRecords: number;
  unreadBytes: number;
  /** Bytes of all segment files (including read but not yet committed records). */
  diskBytes: number;
  segments: number;
  appendedRecords: number;
  readRecords: number;
  /** Bytes cut from segment ends at open (torn writes) or skipped as corrupt. */
  truncatedBytes: number;
  corruptRecords: number;
  fsyncs: number;
}

export class JournalFullError extends Error {
  constructor(
    readonly dir: string,
    readonly usedBytes: number,
    readonly maxBytes: number,
    readonly recordBytes: number,
  ) {
    super(
      `spill journal ${dir} is full: ${usedBytes} bytes on disk + a ${recordBytes}-byte record would exceed ` +
        `the ${maxBytes}-byte bound (Kafka has been unreachable or too slow for too long; raise journal.maxBytes or fix Kafka)`,
    );
    this.name = 'JournalFullError';
  }
}

const HEADER = 8;
const CHUNK = 1 << 20;
const SEG_RE = /^seg-(\d{12})\.log$/;
const CURSOR = 'cursor.json';

const segName = (seq: number): string => `seg-${String(seq).padStart(12, '0')}.log`;

export class Journal {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly maxRecordBytes: number;
  private readonly fsyncPolicy: FsyncPolicy;
  private readonly log: (line: string) => void;

  /** seq → size on disk (the write segment's size includes flushed bytes only). */
  private readonly segments = new Map<number, number>();
  private writeSeq = 0;
  private writeFd = -1;
  private writeOff = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private dirty = false;
  private fsyncTimer: NodeJS.Timeout | undefined;

  private readSeq = 0;
  private readOff = 0;
  private committed: JournalPosition = { seg: 0, off: 0 };

  private chunk: Buffer = Buffer.alloc(0);
  private chunkSeq = -1;
  private chunkStart = 0;
  private chunkLen = 0;
  private readFd = -1;
  private readFdSeq = -1;

  private closed = false;
  private readonly st: JournalStats = {
    unreadRecords: 0,
    unreadBytes: 0,
    diskBytes: 0,
    segments: 0,
    appendedRecords: 0,
    readRecords: 0,
    truncatedBytes: 0,
    corruptRecords: 0,
    fsyncs: 0,
  };

  constructor(opts: JournalOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? 1024 * 1024 * 1024;
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.maxRecordBytes = opts.maxRecordBytes ?? 64 * 1024 * 1024;
    this.fsyncPolicy = opts.fsync ?? { intervalMs: 200 };
    this.log = opts.log ?? ((): void => undefined);
    mkdirSync(this.dir, { recursive: true });
    this.recover();
    if (typeof this.fsyncPolicy === 'object') {
      this.fsyncTimer = setInterval(() => this.syncIfDirty(), Math.max(1, this.fsyncPolicy.intervalMs));
      this.fsyncTimer.unref();
    }
  }

  // ---------------------------------------------------------------- open / recovery

  private recover(): void {
    const seqs = readdirSync(this.dir)
      .map((f) => SEG_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let cursor: JournalPosition | undefined;
    try {
      const c = JSON.parse(readFileSync(join(this.dir, CURSOR), 'utf8')) as Partial<JournalPosition>;
      if (Number.isInteger(c.seg) && Number.isInteger(c.off)) cursor = { seg: c.seg as number, off: c.off as number };
    } catch {
      // no cursor yet: start at the first segment
    }
    const first = seqs[0];
    if (cursor === undefined || (first !== undefined && cursor.seg < first)) {
      cursor = { seg: first ?? 1, off: 0 };
    }
    for (const seq of seqs) {
      if (seq < cursor.seg) rmSync(join(this.dir, segName(seq)), { force: true });
    }
    const live = seqs.filter((s) => s >= cursor.seg);
    for (const seq of live) {
      const path = join(this.dir, segName(seq));
      const fd = openSync(path, 'r+');
      try {
        const size = fstatSync(fd).size;
        const start = seq === cursor.seg ? Math.min(cursor.off, size) : 0;
        const { end, records, bytes } = this.scan(fd, start, size);
        if (end < size) {
          const cut = size - end;
          this.st.truncatedBytes += cut;
          ftruncateSync(fd, end);
          this.log(
            `journal: ${segName(seq)} had ${cut} bytes of torn or corrupt data after offset ${end}; truncated there`,
          );
        }
        this.segments.set(seq, end);
        this.st.unreadRecords += records;
        this.st.unreadBytes += bytes;
      } finally {
        closeSync(fd);
      }
    }
    const last = live[live.length - 1];
    if (last === undefined) {
      this.openWriteSegment(cursor.seg);
    } else {
      this.writeSeq = last;
      this.writeOff = this.segments.get(last) ?? 0;
      this.writeFd = openSync(join(this.dir, segName(last)), 'a');
    }
    this.committed = { seg: cursor.seg, off: live.length === 0 ? 0 : cursor.off };
    this.readSeq = this.committed.seg;
    this.readOff = this.committed.off;
    this.refreshDisk();
    if (this.st.unreadRecords > 0) {
      this.log(
        `journal: ${this.st.unreadRecords} undelivered records (${this.st.unreadBytes} bytes) found in ${this.dir}`,
      );
    }
  }

  /** Validates records in [start, size); returns where the valid prefix ends. */
  private scan(fd: number, start: number, size: number): { end: number; records: number; bytes: number } {
    let off = start;
    let records = 0;
    let bytes = 0;
    const head = Buffer.alloc(HEADER);
    while (off + HEADER <= size) {
      if (readSync(fd, head, 0, HEADER, off) !== HEADER) break;
      const len = head.readUInt32LE(0);
      const crc = head.readUInt32LE(4);
      if (len > this.maxRecordBytes || off + HEADER + len > size) break;
      const body = Buffer.allocUnsafe(len);
      if (len > 0 && readSync(fd, body, 0, len, off + HEADER) !== len) break;
      if (crc32(body) !== crc) break;
      off += HEADER + len;
      records++;
      bytes += HEADER + len;
    }
    return { end: off, records, bytes };
  }

  private openWriteSegment(seq: number): void {
    if (this.writeFd >= 0) closeSync(this.writeFd);
    this.writeSeq = seq;
    this.writeOff = 0;
    this.writeFd = openSync(join(this.dir, segName(seq)), 'a');
    this.segments.set(seq, 0);
  }

  private refreshDisk(): void {
    let total = 0;
    for (const size of this.segments.values()) total += size;
    this.st.diskBytes = total + this.pendingBytes;
    this.st.segments = this.segments.size;
  }

  // ---------------------------------------------------------------- append

  /** Appends a record. Throws JournalFullError when the disk bound would be exceeded. */
  append(payload: Buffer): void {
    if (this.closed) throw new Error(`journal ${this.dir} is closed`);
    if (payload.length > this.maxRecordBytes) {
      throw new RangeError(`journal record of ${payload.length} bytes exceeds maxRecordBytes ${this.maxRecordBytes}`);
    }
    const size = HEADER + payload.length;
    if (this.st.diskBytes + size > this.maxBytes) {
      throw new JournalFullError(this.dir, this.st.diskBytes, this.maxBytes, size);
    }
    this.appendUnchecked(payload);
  }

  private appendUnchecked(payload: Buffer): void {
    const size = HEADER + payload.length;
    if (this.writeOff + this.pendingBytes > 0 && this.writeOff + this.pendingBytes + size > this.segmentBytes) {
      this.flushWrites();
      this.openWriteSegment(this.writeSeq + 1);
    }
    const head = Buffer.allocUnsafe(HEADER);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(crc32(payload), 4);
    this.pending.push(head, payload);
    this.pendingBytes += size;
    this.st.diskBytes += size;
    this.st.unreadRecords++;
    this.st.unreadBytes += size;
    this.st.appendedRecords++;
    if (this.fsyncPolicy === 'always') {
      this.flushWrites();
      this.sync();
    } else if (this.pendingBytes >= 256 * 1024) {
      this.flushWrites();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (!this.closed) this.flushWrites();
      });
    }
  }

  /** Writes buffered appends to the segment file (to the OS; see fsync for durability). */
  flushWrites(): void {
    if (this.pendingBytes === 0) return;
    const data =
      this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingBytes);
    let done = 0;
    while (done < data.length) done += writeSync(this.writeFd, data, done, data.length - done);
    this.writeOff += data.length;
    this.segments.set(this.writeSeq, this.writeOff);
    this.pending = [];
    this.pendingBytes = 0;
    this.dirty = true;
  }

  private sync(): void {
    if (this.writeFd < 0) return;
    fdatasyncSync(this.writeFd);
    this.dirty = false;
    this.st.fsyncs++;
  }

  private syncIfDirty(): void {
    if (this.closed) return;
    this.flushWrites();
    if (this.dirty) this.sync();
  }

  // ---------------------------------------------------------------- read

  private nextSeqAfter(seq: number): number | undefined {
    let best: number | undefined;
    for (const s of this.segments.keys()) if (s > seq && (best === undefined || s < best)) best = s;
    return best;
  }

  /** Bytes [off, off+len) of segment seq, from the read chunk (reloaded when needed). */
  private bytesAt(seq: number, off: number, len: number): Buffer | null {
    if (!(seq === this.chunkSeq && off >= this.chunkStart && off + len <= this.chunkStart + this.chunkLen)) {
      if (this.readFdSeq !== seq) {
        if (this.readFd >= 0) closeSync(this.readFd);
        this.readFd = openSync(join(this.dir, segName(seq)), 'r');
        this.readFdSeq = seq;
      }
      const want = Math.max(len, CHUNK);
      if (this.chunk.length < want) this.chunk = Buffer.allocUnsafe(want);
      const n = readSync(this.readFd, this.chunk, 0, want, off);
      this.chunkSeq = seq;
      this.chunkStart = off;
      this.chunkLen = n;
      if (n < len) return null;
    }
    const at = off - this.chunkStart;
    return this.chunk.subarray(at, at + len);
  }

  /** True when records were appended that have not been read back yet. */
  hasUnread(): boolean {
    return this.st.unreadRecords > 0;
  }

  /**
   * Reads up to maxRecords / about maxBytes records after the read cursor, in
   * append order, and advances the read cursor (not the commit cursor).
   */
  read(maxRecords: number, maxBytes = Number.POSITIVE_INFINITY): JournalEntry[] {
    const out: JournalEntry[] = [];
    if (this.st.unreadRecords === 0) return out;
    this.flushWrites();
    let bytes = 0;
    while (out.length < maxRecords && bytes < maxBytes && this.st.unreadRecords > 0) {
      const segSize = this.segments.get(this.readSeq);
      if (segSize === undefined || this.readOff >= segSize) {
        const next = this.nextSeqAfter(this.readSeq);
        if (next === undefined) break;
        this.readSeq = next;
        this.readOff = 0;
        continue;
      }
      const head = this.bytesAt(this.readSeq, this.readOff, HEADER);
      const len = head === null ? -1 : head.readUInt32LE(0);
      const crc = head === null ? 0 : head.readUInt32LE(4);
      const body =
        len >= 0 && len <= this.maxRecordBytes && this.readOff + HEADER + len <= segSize
          ? this.bytesAt(this.readSeq, this.readOff + HEADER, len)
          : null;
      if (body === null || crc32(body) !== crc) {
        // Damaged after open (disk error): skip the rest of this segment, loudly.
        this.st.corruptRecords++;
        this.log(
          `journal: corrupt record in ${segName(this.readSeq)} at offset ${this.readOff}; skipping the rest of the segment`,
        );
        this.readOff = segSize;
        continue;
      }
      this.readOff += HEADER + len;
      out.push({ payload: Buffer.from(body), pos: { seg: this.readSeq, off: this.readOff } });
      bytes += HEADER + len;
      this.st.unreadRecords--;
      this.st.unreadBytes -= HEADER + len;
      this.st.readRecords++;
    }
    return out;
  }

  // ---------------------------------------------------------------- commit

  /** Marks everything up to pos as delivered; deletes fully delivered segments. */
  commit(pos: JournalPosition): void {
    if (this.closed) return;
    if (pos.seg < this.committed.seg || (pos.seg === this.committed.seg && pos.off <= this.committed.off)) return;
    this.committed = { seg: pos.seg, off: pos.off };
    for (const seq of [...this.segments.keys()]) {
      if (seq < pos.seg) this.dropSegment(seq);
    }
    // Drained completely: start a fresh segment so the disk is given back.
    if (
      this.st.unreadRecords === 0 &&
      this.pendingBytes === 0 &&
      pos.seg === this.writeSeq &&
      pos.off === this.writeOff &&
      this.writeOff > 0
    ) {
      const old = this.writeSeq;
      this.openWriteSegment(old + 1);
      this.dropSegment(old);
      this.committed = { seg: this.writeSeq, off: 0 };
      this.readSeq = this.writeSeq;
      this.readOff = 0;
    }
    this.writeCursor();
    this.refreshDisk();
  }

  private dropSegment(seq: number): void {
    if (this.readFdSeq === seq) {
      closeSync(this.readFd);
      this.readFd = -1;
      this.readFdSeq = -1;
    }
    if (this.chunkSeq === seq) this.chunkSeq = -1;
    this.segments.delete(seq);
    rmSync(join(this.dir, segName(seq)), { force: true });
  }

  private writeCursor(): void {
    const tmp = join(this.dir, `${CURSOR}.tmp`);
    writeFileSync(tmp, JSON.stringify(this.committed));
    renameSync(tmp, join(this.dir, CURSOR));
  }

  /**
   * Puts `head` records before every unread record (used at shutdown for
   * records that were only in memory and are older than the unread journal).
   * Records read but not committed are treated as delivered-or-in-head: the
   * caller passes them in `head` again. Rewrites the unread tail into a new
   * segment; the disk bound is not enforced here (logged when exceeded).
   */
  rewriteWithHead(head: Buffer[]): void {
    if (head.length === 0) return;
    this.flushWrites();
    const oldLast = this.writeSeq;
    const start = oldLast + 1;
    this.openWriteSegment(start);
    const unreadBefore = this.st.unreadRecords;
    for (const p of head) this.appendUnchecked(p);
    // Copy the records that were unread before the head was written.
    let left = unreadBefore;
    while (left > 0) {
      const batch = this.readUpTo(oldLast, Math.min(left, 10_000));
      if (batch.length === 0) break;
      for (const e of batch) this.appendUnchecked(e.payload);
      left -= batch.length;
    }
    this.flushWrites();
    for (const seq of [...this.segments.keys()]) if (seq < start) this.dropSegment(seq);
    this.committed = { seg: start, off: 0 };
    this.readSeq = start;
    this.readOff = 0;
    this.writeCursor();
    this.refreshDisk();
    if (this.st.diskBytes > this.maxBytes) {
      this.log(`journal: ${this.st.diskBytes} bytes on disk after the shutdown spill exceed maxBytes ${this.maxBytes}`);
    }
  }

  /** read() limited to segments <= lastSeq. */
  private readUpTo(lastSeq: number, max: number): JournalEntry[] {
    if (this.readSeq > lastSeq) return [];
    this.flushWrites();
    // Hide the new segments from the reader while copying.
    const hidden = [...this.segments.entries()].filter(([s]) => s > lastSeq);
    for (const [s] of hidden) this.segments.delete(s);
    try {
      return this.read(max);
    } finally {
      for (const [s, size] of hidden) this.segments.set(s, size);
    }
  }

  stats(): JournalStats {
    return { ...this.st };
  }

  /** Flushes, syncs (unless fsync is `never`) and closes the files. */
  close(): void {
    if (this.closed) return;
    this.flushWrites();
    if (this.fsyncPolicy !== 'never' && this.dirty) this.sync();
    this.closed = true;
    if (this.fsyncTimer !== undefined) clearInterval(this.fsyncTimer);
    if (this.writeFd >= 0) closeSync(this.writeFd);
    if (this.readFd >= 0) closeSync(this.readFd);
    this.writeFd = -1;
    this.readFd = -1;
  }
}

/** True when dir holds journal segments (e.g. undelivered records from a previous run). */
export function journalExists(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => SEG_RE.test(f));
}
