// Input and output helpers shared by the commands that read JSON Lines.
import type { Readable, Writable } from 'node:stream';

/**
 * Splits a byte stream into lines without decoding them, so a raw frame's bytes
 * (including invalid UTF-8) reach the engine exactly as they arrived. A
 * trailing '\r' is dropped; empty lines are skipped.
 */
export async function* byteLines(input: Readable, maxLineBytes = 64 * 1024 * 1024): AsyncGenerator<Uint8Array> {
  let carry: Buffer | undefined;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      if (end > start) yield buf.subarray(start, end);
      start = nl + 1;
    }
    buf = buf.subarray(start);
    if (buf.length > maxLineBytes) throw new Error(`input line longer than ${maxLineBytes} bytes`);
    if (buf.length > 0) carry = Buffer.from(buf);
  }
  if (carry && carry.length > 0) yield carry;
}

/** Writes lines to a stream, waiting when it pushes back, so memory stays bounded. */
export class LineWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  constructor(
    private readonly out: Writable,
    private readonly flushBytes = 64 * 1024,
  ) {}

  pendingLines(): number {
    return this.pending.length;
  }

  write(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
  }

  /** Hands buffered lines to the stream; resolves once it can take more. */
  async flush(force = false): Promise<void> {
    if (this.pending.length === 0 || (!force && this.pendingBytes < this.flushBytes)) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.out.write(text)) await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }
}
