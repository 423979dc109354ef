/**
 * The container writer streaming to an HTTP server: the body arrives chunked, by POST unless the
 * URI's fragment asks for PUT; an upload the server refuses fails with RESOURCE_ERROR_WRITE; and
 * hundreds of uploads leave no native memory behind (node-av's custom I/O contexts used to keep
 * their 64 KB buffer each: 300 more uploads, 19 MB more heap).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ContainerWriter } from '../../src/codec/container-writer.js';
import type { MediaIoError } from '../../src/codec/media-io-error.js';
import { PROFILES } from '../../src/codec/media-profile.js';
import { opusHead } from '../../src/codec/opus.js';

const AUDIO = [{ kind: 'AUDIO' as const, codec: 'OPUS' as const, sampleRate: 48000, channels: 2, extradata: opusHead(2) }];
/** An Opus packet of 20 ms of silence (CELT, fullband, one frame). */
const SILENCE = Buffer.from([0xfc, 0xff, 0xfe]);
const UPLOADS = 300;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Native heap in use (the data segment), in MB, after a full garbage collection. */
function dataSegmentMb(): number {
  gc();
  return Number(/VmData:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
}

async function withServer(handler: (req: IncomingMessage, body: Buffer) => number, run: (base: string) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.writeHead(handler(req, Buffer.concat(chunks))).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

async function upload(uri: string, frames = 10): Promise<MediaIoError | undefined> {
  let error: MediaIoError | undefined;
  const writer = await ContainerWriter.open(uri, PROFILES.WEBM_AUDIO_ONLY, AUDIO, (e) => (error = e));
  for (let k = 0; k < frames; k++) writer.write(0, SILENCE, k * 20_000, true);
  await writer.close();
  return error ?? writer.error;
}

test('a recording is POSTed chunked by default, PUT when the fragment asks; a refusal is RESOURCE_ERROR_WRITE', async () => {
  const seen: string[] = [];
  await withServer(
    (req, body) => {
      seen.push(`${req.method} ${req.url} ${req.headers['transfer-encoding']} ${body.subarray(0, 4).toString('hex')}`);
      return req.url === '/refused.webm' ? 403 : 201;
    },
    async (base) => {
      assert.equal(await upload(`${base}/a.webm`), undefined);
      assert.equal(await upload(`${base}/b.webm#method=PUT`), undefined);
      const refused = await upload(`${base}/refused.webm`);
      assert.equal(refused?.type, 'RESOURCE_ERROR_WRITE');
    },
  );
  // 1a45dfa3: the EBML header that starts every WebM file.
  assert.deepEqual(seen, ['POST /a.webm chunked 1a45dfa3', 'PUT /b.webm chunked 1a45dfa3', 'POST /refused.webm chunked 1a45dfa3']);
});

test('uploads leave no native memory behind', async () => {
  await withServer(
    () => 201,
    async (base) => {
      // The allocator and V8 grow their heaps at first; a leak keeps growing round after round.
      const grown: number[] = [];
      for (let round = 0; round < 3; round++) {
        const before = dataSegmentMb();
        for (let k = 0; k < UPLOADS; k++) await upload(`${base}/u.webm`, 2);
        grown.push(dataSegmentMb() - before);
      }
      console.log(`native heap growth per ${UPLOADS} uploads, round by round: ${grown.map((g) => g.toFixed(1)).join(', ')} MB`);
      const leak = ((UPLOADS * 64) / 1024).toFixed(0);
      // A leak grows every round by the same amount; a busy machine can add a one-off (a new
      // malloc arena for a thread pool thread), so the smaller of the later rounds is the measure.
      const steady = Math.min(grown[1]!, grown[2]!);
      assert.ok(steady < 8, `rounds of ${UPLOADS} uploads kept growing the heap: ${grown.map((g) => g.toFixed(1)).join(', ')} MB (a 64 KB buffer each would be ${leak} MB)`);
    },
  );
});
