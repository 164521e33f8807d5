// Writes `count` self-checking records into a ring from its own thread,
// retrying when the ring is full (the test measures the transport, so nothing
// may be dropped). Posts the number of full-ring retries when done.
import { parentPort, workerData } from 'node:worker_threads';
import { RingWriter } from '../../src/engine/ring';
import { fillPayload, payloadLength } from '../support/payloads';

const { sab, count, maxLength } = workerData as { sab: SharedArrayBuffer; count: number; maxLength: number };
const writer = new RingWriter(sab);
const scratch = new Uint8Array(maxLength);
let retries = 0;
for (let seq = 0; seq < count; seq++) {
  const payload = fillPayload(seq, payloadLength(seq, maxLength), scratch);
  while (!writer.write({ type: 1, venue: seq & 0xffff, recvNs: BigInt(seq) }, payload)) retries++;
}
parentPort?.postMessage({ retries });
