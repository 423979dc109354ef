/**
 * `npm run bench:fuzz`: 20,000 fuzzed JSON-RPC frames (seeded: `BENCH_FUZZ_SEED`, default 12)
 * against the real server, from 4 sockets, while a well-behaved client pings every 20 ms.
 * Prints the longest answer time and the well-behaved client's ping p99; PASS when every request
 * with an id was answered within 5 s, no process died, and the ping p99 stayed under 50 ms.
 */
import { describeFuzz, fuzzProtocol } from '../test/helpers/protocol-fuzz.js';
import { startServer } from '../test/helpers/server-process.js';

const FRAMES = Number(process.env.BENCH_FUZZ_FRAMES ?? 20_000);
const SEED = Number(process.env.BENCH_FUZZ_SEED ?? 12);
const PING_P99_LIMIT_MS = 50;

const server = await startServer({ args: ['--workers', '2', '--http-port', '0', '--log-level', 'info'] });
try {
  const result = await fuzzProtocol(server.url, { frames: FRAMES, seed: SEED, clients: 4, inFlight: 8, answerBoundMs: 5000 });
  console.log(`fuzz (seed ${SEED}): ${describeFuzz(result)}`);
  for (const f of result.failures) console.log(`  ${f}`);
  const died = server.logs.filter((r) => r.msg === 'releasing objects of a dead media worker').length;
  for (const e of result.internalErrors) console.log(`  -32603: ${e.slice(0, 200)}`);
  const pass = result.answeredInTime === result.tracked && result.internalErrors.length === 0 && died === 0 && server.process.exitCode === null && result.pingP99Ms < PING_P99_LIMIT_MS;
  console.log(pass ? 'PASS' : `FAIL (workers died: ${died}, ping p99 limit ${PING_P99_LIMIT_MS} ms)`);
  process.exitCode = pass ? 0 : 1;
} finally {
  await server.stop();
}
