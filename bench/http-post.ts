/**
 * `npm run bench:http-post`: the media worker's memory while a 1 GB upload goes through an
 * HttpPostEndpoint. The upload is H.264 at a very high bitrate (lossless 720p of noise, made once
 * by ffmpeg into a temporary directory), streamed by curl as a chunked body; the endpoint plays it
 * in real time, so curl is held back by TCP and the upload lasts as long as its media. The
 * worker's resident memory is printed every few seconds, next to the bytes uploaded so far.
 *
 * Knobs (environment): BENCH_UPLOAD_MB (default 1024), BENCH_KEEP_FILE=1 keeps the media file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../test/helpers/raw-client.js';
import { startServer } from '../test/helpers/server-process.js';
import { createPipeline, invoke } from '../test/helpers/webrtc-rpc.js';
import { processTree, rssKiB } from './proc.js';

const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 1024);
const SAMPLE_MS = 5000;
const progress = (what: string): void => void process.stderr.write(`${what}\n`);

/** Lossless H.264 of noise: incompressible, so a few seconds of media weigh hundreds of megabytes. */
function makeUpload(dir: string): string {
  const file = join(dir, 'upload.mkv');
  // About 25 MB a second of media at 1280x720, 30 fps: the file is sized by its duration.
  const seconds = Math.max(2, Math.round(UPLOAD_MB / 25));
  progress(`making a ${UPLOAD_MB} MB upload (${seconds} s of lossless 720p noise)...`);
  const made = spawnSync('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=gray:s=1280x720:r=30:d=${seconds},noise=alls=100:allf=t+u,format=yuv420p`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-g', '30', '-fs', String(UPLOAD_MB * 1024 * 1024), file,
  ]);
  if (made.status !== 0) throw new Error(made.stderr.toString());
  return file;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kuroshio-bench-post-'));
  const file = makeUpload(dir);
  const size = statSync(file).size;
  const server = await startServer({ args: ['--workers', '1', '--log-level', 'info', '--http-port', '0'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  const client = await RawClient.connect(server.url);
  try {
    const pipeline = await createPipeline(client);
    const post = String((await client.call('create', { type: 'HttpPostEndpoint', constructorParams: { mediaPipeline: pipeline } })).value);
    // A sink, so the media is packetized and pushed as in use (a PassThrough takes anything).
    const sink = String((await client.call('create', { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline } })).value);
    await invoke(client, post, 'connect', { sink });
    const url = String(await invoke(client, post, 'getUrl'));
    const workers = (): number[] => processTree(server.process.pid!).slice(1);
    const worker = workers()[0]!;
    const before = rssKiB(worker);
    // -T streams the file (--data-binary would read all of it into curl's memory first).
    const curl = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_upload}', '-X', 'POST', '-H', 'Transfer-Encoding: chunked', '-T', file, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    curl.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const done = new Promise<void>((resolve) => curl.once('exit', () => resolve()));
    const started = Date.now();
    const rows: string[] = ['| time s | worker RSS MiB |', '| ---: | ---: |'];
    let peak = before;
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, SAMPLE_MS))]);
      const rss = rssKiB(worker);
      peak = Math.max(peak, rss);
      rows.push(`| ${((Date.now() - started) / 1000).toFixed(0)} | ${(rss / 1024).toFixed(1)} |`);
      progress(rows[rows.length - 1]!);
    }
    const [status, uploaded] = out.split(' ');
    process.stdout.write(`${rows.join('\n')}\n\n`);
    process.stdout.write(`upload: ${(size / 1e6).toFixed(0)} MB file, curl answered ${status}, ${(Number(uploaded) / 1e6).toFixed(0)} MB sent in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    process.stdout.write(`worker RSS: ${(before / 1024).toFixed(1)} MiB before, peak ${(peak / 1024).toFixed(1)} MiB during (+${((peak - before) / 1024).toFixed(1)} MiB for a ${(size / 1048576).toFixed(0)} MiB upload)\n`);
  } finally {
    client.close();
    await server.stop();
    if (!process.env.BENCH_KEEP_FILE) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
