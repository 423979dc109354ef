/**
 * `npm run bench:join`: join storms. One publisher (a light load: an audio packet every 200 ms,
 * so that forwarding is not what is measured), then N subscribers negotiated all at once: how
 * many reach media within 10 s, and the server's CPU per handshake, for Kuroshio (one worker)
 * and Janus (VideoRoom), same clients, server pinned to one core and clients to the other, as
 * `bench:sfu` does (its servers, pinning and client process are reused).
 *
 * "CPU per handshake" is the server tree's CPU from the storm's start until every subscriber has
 * media (or the wait ends), divided by the subscribers that got media: signalling, ICE, DTLS
 * and the first packets forwarded to them. The client's own CPU is printed beside it: one client
 * core negotiating hundreds of werift peers can be the limit instead of the server, and then the
 * figures say so.
 *
 *   npm run bench:join [-- --counts 100,250,500 --servers janus,kuroshio --within 10 --wait 30]
 */
import { parseArgs } from 'node:util';
import { ClientProcess } from './sfu-vs-janus/measure.js';
import { SERVERS, startTarget, type ServerName } from './sfu-vs-janus/servers.js';
import { canPin, choosePinning, pinTree, treeCpuSeconds, type Pinning } from './sfu-vs-janus/system.js';
import { delay } from './sfu-vs-janus/time.js';

const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '100,250,500' },
    servers: { type: 'string', default: 'janus,kuroshio' },
    within: { type: 'string', default: '10' },
    wait: { type: 'string', default: '30' },
  },
});
const counts = values.counts.split(',').map(Number);
const servers = values.servers.split(',').map((s) => s.trim() as ServerName);
const withinMs = Number(values.within) * 1000;
const waitMs = Number(values.wait) * 1000;
const pinning: Pinning = canPin() ? choosePinning() : { server: undefined, client: undefined };
/** The publisher's DTLS and first packets settle before the storm. */
const SETTLE_MS = 1_500;

interface StormResult {
  server: ServerName;
  count: number;
  reached: number;
  withinDeadline: number;
  p50Ms: number;
  p95Ms: number;
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  wallSeconds: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function storm(server: ServerName, count: number): Promise<StormResult> {
  const target = await startTarget(server, pinning.server);
  const client = ClientProcess.start(pinning.client);
  try {
    const scenario = { label: `storm of ${count}`, rooms: 1, subscribersPerRoom: 0 };
    await client.send({ type: 'publish', protocol: SERVERS[server].protocol, url: target.url, clientAddress: target.clientAddress, scenario, light: true }, 'published');
    await delay(SETTLE_MS);
    const serverBefore = treeCpuSeconds(target.pid);
    const clientBefore = treeCpuSeconds(client.pid);
    const started = performance.now();
    const { firstMediaMs } = await client.send({ type: 'storm', count, waitMs }, 'stormed');
    const wallSeconds = (performance.now() - started) / 1000;
    const times = firstMediaMs.filter((t): t is number => t !== null).sort((a, b) => a - b);
    return {
      server,
      count,
      reached: times.length,
      withinDeadline: times.filter((t) => t <= withinMs).length,
      p50Ms: quantile(times, 0.5),
      p95Ms: quantile(times, 0.95),
      serverCpuSeconds: treeCpuSeconds(target.pid) - serverBefore,
      clientCpuSeconds: treeCpuSeconds(client.pid) - clientBefore,
      wallSeconds,
    };
  } finally {
    await client.stop();
    await target.stop();
  }
}

pinTree(process.pid, pinning.client);
const results: StormResult[] = [];
for (const count of counts) {
  for (const server of servers) {
    process.stderr.write(`${SERVERS[server].label}: ${count} subscribers joining at once\n`);
    try {
      results.push(await storm(server, count));
    } catch (err) {
      process.stderr.write(`${server}, ${count}: ${(err as Error).message}\n`);
    }
  }
}

console.log(`\nJoin storms: N subscribers negotiated at once to one publisher; server on CPU ${pinning.server ?? 'any'}, clients on CPU ${pinning.client ?? 'any'}\n`);
console.log(`| peers | server | media within ${withinMs / 1000} s | media at all | first media p50 / p95 s | server CPU s | CPU ms / handshake | × Janus | client CPU (cores) |`);
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  const perHandshake = r.reached > 0 ? (r.serverCpuSeconds / r.reached) * 1000 : Number.NaN;
  const janus = results.find((j) => j.server === 'janus' && j.count === r.count);
  const janusPer = janus && janus.reached > 0 ? (janus.serverCpuSeconds / janus.reached) * 1000 : Number.NaN;
  const ratio = r.server === 'janus' || !Number.isFinite(janusPer) ? '' : `${(perHandshake / janusPer).toFixed(2)}×`;
  console.log(
    `| ${r.count} | ${SERVERS[r.server].label} | ${r.withinDeadline} | ${r.reached} | ${(r.p50Ms / 1000).toFixed(2)} / ${(r.p95Ms / 1000).toFixed(2)} | ${r.serverCpuSeconds.toFixed(2)} | ${perHandshake.toFixed(1)} | ${ratio} | ${(r.clientCpuSeconds / r.wallSeconds).toFixed(2)} |`,
  );
}
