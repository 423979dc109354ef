/**
 * `npm run bench:srtp`: the cost of SRTP per packet, protect + unprotect of one 1200-byte RTP
 * packet (a typical video packet), native addon vs werift's JavaScript SrtpSession, in one run.
 *
 * - "ours, in place": SrtpContext.protectRtp / unprotectRtp on one buffer with spare room, the
 *   allocation-free path the RTP session uses.
 * - "ours, copying": protectRtpPacket / unprotectRtpPacket, which allocate a Buffer per call.
 * - "werift": SrtpSession.encrypt(payload, header) / decrypt(buffer), as werift's RTP stack
 *   calls them (AES128_CM_HMAC_SHA1_80 and AEAD_AES_128_GCM only: all werift implements).
 *
 * Every packet gets the next sequence number (so no replay rejections, and the ROC wraps in long
 * runs) and every round trip is checked. The machine is shared (two cores, other jobs), so each
 * figure is the best of interleaved rounds: the one least disturbed by the neighbours.
 */
import { loadavg } from 'node:os';
import { RtpPacket, SrtpSession as WeriftSrtpSession } from 'werift';
import { loadSrtpAddon, profileParameters, SrtpContext, SrtpProfile } from '../src/transport/srtp/index.js';

const PACKET_SIZE = 1200;
const ROUNDS = 3;
const ROUND_MS = 400;
const SSRC = 0x1234abcd;

function keys(profile: number): { masterKey: Buffer; masterSalt: Buffer } {
  const p = profileParameters(profile);
  return { masterKey: Buffer.alloc(p.keyLength, 0x2b), masterSalt: Buffer.alloc(p.saltLength, 0x5c) };
}

function plainPacket(seq: number): Buffer {
  const buf = Buffer.alloc(PACKET_SIZE, 0x77);
  buf[0] = 0x80;
  buf[1] = 96;
  buf.writeUInt16BE(seq & 0xffff, 2);
  buf.writeUInt32BE(seq * 3000, 4);
  buf.writeUInt32BE(SSRC, 8);
  return buf;
}

/** A protect+unprotect of packet number i; throws if the round trip is wrong. */
type Step = (i: number) => void;

function oursInPlace(profile: number): Step {
  const tx = new SrtpContext({ profile, ...keys(profile) });
  const rx = new SrtpContext({ profile, ...keys(profile) });
  const buf = Buffer.alloc(PACKET_SIZE + tx.rtpOverhead);
  plainPacket(0).copy(buf);
  return (i) => {
    buf.writeUInt16BE(i & 0xffff, 2);
    const sealed = tx.protectRtp(buf, PACKET_SIZE);
    if (rx.unprotectRtp(buf, sealed) !== PACKET_SIZE) throw new Error(`round trip failed at packet ${i}`);
  };
}

function oursCopying(profile: number): Step {
  const tx = new SrtpContext({ profile, ...keys(profile) });
  const rx = new SrtpContext({ profile, ...keys(profile) });
  const plain = plainPacket(0);
  return (i) => {
    plain.writeUInt16BE(i & 0xffff, 2);
    const opened = rx.unprotectRtpPacket(tx.protectRtpPacket(plain));
    if (!opened.ok || opened.packet.length !== PACKET_SIZE) throw new Error(`round trip failed at packet ${i}`);
  };
}

function werift(profile: number): Step {
  const { masterKey, masterSalt } = keys(profile);
  const config = {
    keys: { localMasterKey: masterKey, localMasterSalt: masterSalt, remoteMasterKey: masterKey, remoteMasterSalt: masterSalt },
    profile,
  };
  // One session: its local context encrypts, its remote context (same keys) decrypts.
  const session = new WeriftSrtpSession(config);
  const { header, payload } = RtpPacket.deSerialize(plainPacket(0));
  return (i) => {
    header.sequenceNumber = i & 0xffff;
    const opened = session.decrypt(session.encrypt(payload, header));
    if (opened.length !== PACKET_SIZE) throw new Error(`round trip failed at packet ${i}`);
  };
}

interface Contender {
  name: string;
  make: (profile: number) => Step;
  profiles: number[];
}

const ALL = Object.values(SrtpProfile);
const CONTENDERS: Contender[] = [
  { name: 'ours, in place', make: oursInPlace, profiles: ALL },
  { name: 'ours, copying', make: oursCopying, profiles: ALL },
  { name: 'werift', make: werift, profiles: [SrtpProfile.AES128_CM_HMAC_SHA1_80, SrtpProfile.AEAD_AES_128_GCM] },
];

/** Microseconds per packet over at least ROUND_MS, continuing the step's packet numbering. */
function measure(step: Step, state: { next: number }): number {
  let packets = 0;
  let batch = 64;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ROUND_MS * 1e6) {
    for (let k = 0; k < batch; k++) step(state.next++);
    packets += batch;
    batch = Math.min(batch * 2, 8192);
    elapsed = Number(process.hrtime.bigint() - start);
  }
  return elapsed / 1e3 / packets;
}

function main(): void {
  console.log(`SRTP protect + unprotect of one ${PACKET_SIZE}-byte RTP packet, µs per packet (best of ${ROUNDS} rounds)`);
  console.log(`node ${process.version}, ${loadSrtpAddon().opensslVersion()}, load average ${loadavg()[0]!.toFixed(2)}\n`);

  const runs = ALL.flatMap((profile) =>
    CONTENDERS.filter((c) => c.profiles.includes(profile)).map((c) => ({ profile, contender: c, step: c.make(profile), state: { next: 0 }, best: Infinity })),
  );
  for (const run of runs) for (let i = 0; i < 2000; i++) run.step(run.state.next++); // warm-up (JIT, first allocations)
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of runs) run.best = Math.min(run.best, measure(run.step, run.state));
  }

  const columns = ['profile', ...CONTENDERS.map((c) => c.name), 'werift / ours in place'];
  const rows = ALL.map((profile) => {
    const cells = CONTENDERS.map((c) => runs.find((r) => r.profile === profile && r.contender === c)?.best);
    const [inPlace, , theirs] = cells;
    const ratio = inPlace !== undefined && theirs !== undefined ? `${(theirs / inPlace).toFixed(0)}x` : '—';
    return [profileParameters(profile).name, ...cells.map((v) => (v === undefined ? '—' : v.toFixed(2))), ratio];
  });
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  console.log(line(columns));
  for (const row of rows) console.log(line(row));
  const cm = runs.find((r) => r.profile === SrtpProfile.AES128_CM_HMAC_SHA1_80 && r.contender === CONTENDERS[0])!.best;
  console.log(`\none core at AES128_CM_HMAC_SHA1_80, in place: ~${Math.round(1e6 / cm / 1000)}k packets/s protected and unprotected`);
}

main();
