/**
 * `npm run bench:soak`: the full quick hang-up soak — 2,000 cycles of create pipeline +
 * WebRtcEndpoint + processOffer + immediate release from 10 concurrent clients, against the
 * real server with two media workers. Prints the figures and PASS when the UDP sockets and file
 * descriptors of the server's processes are back at their baseline and resident memory within
 * 10% after garbage collection (`test/robustness/soak.test.ts` runs a shorter form in CI).
 */
import { inspectorEnv } from '../test/helpers/inspector.js';
import { startServer } from '../test/helpers/server-process.js';
import { describeSoak, soak } from '../test/helpers/soak.js';

const CYCLES = Number(process.env.BENCH_SOAK_CYCLES ?? 2000);
const CLIENTS = 10;

const server = await startServer({ args: ['--workers', '2', '--gc-period', '5'], env: inspectorEnv() });
try {
  const result = await soak(server, { cycles: CYCLES, clients: CLIENTS, settleMs: 30_000 });
  console.log(`soak (${CLIENTS} clients): ${describeSoak(result)}`);
  console.log(result.recovered ? 'PASS: sockets and descriptors back at baseline, memory within 10%' : 'FAIL: resources not back at baseline');
  process.exitCode = result.recovered ? 0 : 1;
} finally {
  await server.stop();
}
