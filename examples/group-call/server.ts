/**
 * Group call: everyone in one room sees and hears everyone else, in one of two modes that any
 * participant can switch the room to:
 *
 * - SFU: each participant's WebRtcEndpoint sends to one receiving WebRtcEndpoint per other
 *   participant (`sender.connect(receiver)`); each page has one connection per person it sees.
 *   Nothing is decoded on the server.
 * - MCU: each participant's WebRtcEndpoint is connected both ways to a port of one Composite;
 *   each page gets one stream: the grid of everyone, and everyone's sound but its own.
 *
 *   node dist/examples/group-call/server.js --ws_uri=ws://localhost:8888/kurento --port 8443
 *
 * Signalling (besides the shared 'answer', 'iceCandidate' and 'error'; messages of a page's
 * receiving connections carry `leg`, the sender's id):
 *   browser → server: join {sdpOffer} · receive {leg, sdpOffer} · mode {mode} · leave
 *   server → browser: joined {id, mode} · mode {mode} · streams {ids}   (who to receive in SFU mode)
 */
import { candidateField, runExample, stringField, type Browser, type Message } from '../common/app-server.js';
import { BrowserLeg } from '../common/browser-leg.js';
import { MediaServerConnection, type Composite, type HubPort, type MediaPipeline, type WebRtcEndpoint } from '../common/kurento.js';

type Mode = 'sfu' | 'mcu';

interface Member {
  readonly id: string;
  readonly browser: Browser;
  readonly main: BrowserLeg<WebRtcEndpoint>;
  endpoint: WebRtcEndpoint | undefined;
  /** MCU mode: the member's port of the room's Composite. */
  port: HubPort | undefined;
  /** SFU mode: what this member receives, by sender id. */
  readonly incoming: Map<string, { leg: BrowserLeg<WebRtcEndpoint>; endpoint: WebRtcEndpoint | undefined }>;
}

const room = {
  mode: 'mcu' as Mode,
  pipeline: undefined as Promise<MediaPipeline> | undefined,
  composite: undefined as Composite | undefined,
  members: new Map<string, Member>(),
};
let nextId = 1;

/** Room changes happen one at a time: a switch of mode must not interleave with a join. */
let roomQueue: Promise<unknown> = Promise.resolve();
function inRoom<T>(change: () => Promise<T>): Promise<T> {
  const run = roomQueue.then(change);
  roomQueue = run.catch(() => undefined);
  return run;
}

async function composite(pipeline: MediaPipeline): Promise<Composite> {
  room.composite ??= await pipeline.createComposite();
  return room.composite;
}

/** Wires a member into the room as the current mode wants it. */
async function wire(member: Member): Promise<void> {
  const pipeline = await room.pipeline!;
  if (!member.endpoint) return;
  if (room.mode === 'mcu') {
    const port = await (await composite(pipeline)).createHubPort();
    member.port = port;
    await member.endpoint.connect(port);
    await port.connect(member.endpoint);
  }
  announceStreams();
}

/** SFU mode: tells every page whose streams it should receive (everyone else's). */
function announceStreams(): void {
  for (const member of room.members.values()) {
    const ids = room.mode === 'sfu' ? [...room.members.values()].filter((m) => m !== member && m.endpoint).map((m) => m.id) : [];
    member.browser.send({ type: 'streams', ids });
  }
}

async function dropIncoming(member: Member, senderId: string): Promise<void> {
  const entry = member.incoming.get(senderId);
  if (!entry) return;
  member.incoming.delete(senderId);
  entry.leg.reset();
  await entry.endpoint?.release();
}

async function switchMode(mode: Mode): Promise<void> {
  if (mode === room.mode) return;
  room.mode = mode;
  if (mode === 'sfu') {
    const hub = room.composite;
    room.composite = undefined;
    for (const member of room.members.values()) member.port = undefined;
    await hub?.release(); // its ports go with it
  } else {
    for (const member of room.members.values()) for (const sender of [...member.incoming.keys()]) await dropIncoming(member, sender);
    for (const member of room.members.values()) await wire(member);
  }
  for (const member of room.members.values()) member.browser.send({ type: 'mode', mode });
  announceStreams();
}

async function leave(member: Member): Promise<void> {
  if (!room.members.delete(member.id)) return;
  for (const sender of [...member.incoming.keys()]) await dropIncoming(member, sender);
  for (const other of room.members.values()) await dropIncoming(other, member.id);
  member.main.reset();
  await member.port?.release();
  await member.endpoint?.release();
  if (room.members.size === 0) {
    const pipeline = room.pipeline;
    room.pipeline = undefined;
    room.composite = undefined;
    await (await pipeline)?.release();
  } else announceStreams();
}

await runExample({
  name: 'group-call',
  staticDir: new URL('./static/', import.meta.url),
  // On the official kurento-client, as one2many-call: hubs and their ports through its builders.
  openMedia: (wsUri, log) => new MediaServerConnection(wsUri, log),
  connect(browser, media) {
    let me: Member | undefined;
    return {
      messages: {
        join: (message) =>
          inRoom(async () => {
            const sdpOffer = stringField(message, 'sdpOffer');
            if (me) throw new Error('already in the room');
            const member: Member = { id: String(nextId++), browser, main: new BrowserLeg<WebRtcEndpoint>(browser), endpoint: undefined, port: undefined, incoming: new Map() };
            me = member;
            room.members.set(member.id, member);
            room.pipeline ??= media.createPipeline();
            const created = await (await room.pipeline).createWebRtcEndpoint();
            member.endpoint = await member.main.open(created, (listener) => created.onIceCandidate(listener));
            browser.send({ type: 'joined', id: member.id, mode: room.mode });
            await wire(member);
            await member.main.negotiate(sdpOffer);
            browser.log(`joined as ${member.id} (${room.mode})`);
          }),

        receive: (message: Message) =>
          inRoom(async () => {
            const senderId = stringField(message, 'leg');
            const sdpOffer = stringField(message, 'sdpOffer');
            const sender = room.members.get(senderId);
            if (!me || room.mode !== 'sfu' || !sender?.endpoint) throw new Error(`nothing to receive from ${senderId}`);
            await dropIncoming(me, senderId);
            const entry = { leg: new BrowserLeg<WebRtcEndpoint>(browser, senderId), endpoint: undefined as WebRtcEndpoint | undefined };
            me.incoming.set(senderId, entry);
            const created = await (await room.pipeline!).createWebRtcEndpoint();
            entry.endpoint = await entry.leg.open(created, (listener) => created.onIceCandidate(listener));
            await sender.endpoint.connect(entry.endpoint);
            await entry.leg.negotiate(sdpOffer);
          }),

        iceCandidate(message) {
          const candidate = candidateField(message);
          if (typeof message.leg === 'string') me?.incoming.get(message.leg)?.leg.addRemoteCandidate(candidate);
          else me?.main.addRemoteCandidate(candidate);
        },

        mode: (message) =>
          inRoom(async () => {
            const mode = stringField(message, 'mode');
            if (mode !== 'sfu' && mode !== 'mcu') throw new Error(`mode is 'sfu' or 'mcu', not '${mode}'`);
            await switchMode(mode);
            browser.log(`switched the room to ${mode}`);
          }),

        leave: () =>
          inRoom(async () => {
            if (me) await leave(me);
            me = undefined;
          }),
      },
      closed: () =>
        inRoom(async () => {
          if (me) await leave(me);
          me = undefined;
        }),
    };
  },
});
