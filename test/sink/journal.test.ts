// The spill journal on its own: order, CRC and torn-tail recovery, the disk
// bound, segment reclamation and the shutdown rewrite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, JournalFullError } from '../../src/sink/journal';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tickwire-journal-'));
}

const rec = (i: number, pad = 0): Buffer => Buffer.from(`record-${i}-${'x'.repeat(pad)}`);

test('appends are read back in order across segments, and commits free the disk', () => {
  const dir = tmp();
  try {
    const j = new Journal({ dir, segmentBytes: 4096, fsync: 'never' });
    for (let i = 0; i < 1000; i++) j.append(rec(i, i % 50));
    assert.ok(readdirSync(dir).filter((f) => f.startsWith('seg-')).length > 5);
    const got: string[] = [];
    for (;;) {
      const batch = j.read(77);
      if (batch.length === 0) break;
      for (const e of batch) got.push(e.payload.toString());
      const last = batch[batch.length - 1];
      assert.ok(last !== undefined);
      j.commit(last.pos);
    }
    assert.deepEqual(
      got,
      Array.from({ length: 1000 }, (_, i) => rec(i, i % 50).toString()),
    );
    const st = j.stats();
    assert.equal(st.unreadRecords, 0);
    assert.equal(st.diskBytes, 0, 'a drained journal gives its disk back');
    j.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reopen resumes after the committed cursor; a torn tail is cut off', () => {
  const dir = tmp();
  try {
    const j = new Journal({ dir, fsync: 'always' });
    for (let i = 0; i < 10; i++) j.append(rec(i));
    const first = j.read(4);
    const p = first[3]?.pos;
    assert.ok(p !== undefined);
    j.commit(p);
    j.close();
    // A crash mid-append: half a record at the end of the segment.
    const seg = readdirSync(dir).find((f) => f.startsWith('seg-'));
    assert.ok(seg !== undefined);
    const torn = Buffer.alloc(12);
    torn.writeUInt32LE(100, 0);
    appendFileSync(join(dir, seg), torn);
    const lines: string[] = [];
    const j2 = new Journal({ dir, log: (l) => lines.push(l) });
    assert.equal(j2.stats().unreadRecords, 6);
    assert.equal(j2.stats().truncatedBytes, 12);
    assert.ok(lines.some((l) => /torn or corrupt/.test(l)));
    assert.deepEqual(
      j2.read(100).map((e) => e.payload.toString()),
      [4, 5, 6, 7, 8, 9].map((i) => rec(i).toString()),
    );
    j2.append(rec(10));
    assert.deepEqual(
      j2.read(100).map((e) => e.payload.toString()),
      [rec(10).toString()],
    );
    j2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a record with a bad CRC ends the valid data of its segment at open', () => {
  const dir = tmp();
  try {
    const j = new Journal({ dir, fsync: 'never' });
    for (let i = 0; i < 5; i++) j.append(rec(i));
    j.close();
    const seg = readdirSync(dir).find((f) => f.startsWith('seg-'));
    assert.ok(seg !== undefined);
    const path = join(dir, seg);
    // Flip one payload byte of the third record.
    const size = statSync(path).size;
    const one = 8 + rec(0).length;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from('Z'), 0, 1, 2 * one + 8 + 3);
    closeSync(fd);
    const j2 = new Journal({ dir });
    assert.equal(j2.stats().unreadRecords, 2);
    assert.equal(j2.stats().truncatedBytes, size - 2 * one);
    j2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the disk bound gives a clear JournalFullError', () => {
  const dir = tmp();
  try {
    const j = new Journal({ dir, maxBytes: 10_000, fsync: 'never' });
    let n = 0;
    assert.throws(
      () => {
        for (;;) {
          j.append(rec(n, 100));
          n++;
        }
      },
      (e: unknown) => e instanceof JournalFullError && /is full: .* exceed the 10000-byte bound/.test(e.message),
    );
    assert.ok(n > 50 && n < 100, `appended ${n}`);
    // Reading and committing makes room again.
    const all = j.read(1000);
    assert.equal(all.length, n);
    const last = all[all.length - 1];
    assert.ok(last !== undefined);
    j.commit(last.pos);
    j.append(rec(0));
    j.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rewriteWithHead puts memory records before the unread journal and survives reopen', () => {
  const dir = tmp();
  try {
    const j = new Journal({ dir, segmentBytes: 2048, fsync: 'never' });
    for (let i = 0; i < 100; i++) j.append(rec(i));
    const read = j.read(30); // 0..29 read (in memory), not committed
    assert.equal(read.length, 30);
    // At shutdown memory holds: older direct records then the 30 read ones.
    const head = [rec(-2), rec(-1), ...read.map((e) => e.payload)];
    j.rewriteWithHead(head);
    j.close();
    const j2 = new Journal({ dir });
    const got = j2.read(1000).map((e) => e.payload.toString());
    assert.deepEqual(
      got,
      [-2, -1, ...Array.from({ length: 100 }, (_, i) => i)].map((i) => rec(i).toString()),
    );
    j2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty or garbage cursor file falls back to the first segment', () => {
  const dir = tmp();
  try {
    const j = new Journal({ dir, fsync: 'never' });
    j.append(rec(1));
    j.close();
    writeFileSync(join(dir, 'cursor.json'), 'not json');
    const j2 = new Journal({ dir });
    assert.equal(j2.read(10).length, 1);
    j2.close();
    truncateSync(join(dir, 'cursor.json'), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
