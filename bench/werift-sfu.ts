/**
 * The baseline of `bench/webrtc.ts`: the smallest SFU werift allows, one process, one
 * RTCPeerConnection per client, RTP from the publisher's tracks handed to every subscriber's
 * sender as it arrives (werift rewrites SSRC, sequence numbers and payload type). No pipeline,
 * no protocol, no flow detection, no statistics: what forwarding costs with werift alone.
 *
 * Driven by its parent over the IPC channel: `{ id, op: 'publish' | 'subscribe', offer }` is
 * answered with `{ id, answer }` (candidates in the SDP, no trickle), `{ id, op: 'reset' }` closes
 * every peer connection and answers `{ id }`.
 */
import { RTCPeerConnection, type MediaStreamTrack, type RTCRtpSender, type RtpPacket } from 'werift';

type Kind = 'audio' | 'video';
interface Request {
  id: number;
  op: 'publish' | 'subscribe' | 'reset';
  offer?: string;
}

const peers: RTCPeerConnection[] = [];
const subscribers: Record<Kind, RTCRtpSender[]> = { audio: [], video: [] };

function newPeer(): RTCPeerConnection {
  const pc = new RTCPeerConnection({
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv4: false,
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
  });
  peers.push(pc);
  return pc;
}

async function answer(pc: RTCPeerConnection, offer: string): Promise<string> {
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription(await pc.createAnswer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve()));
  }
  return pc.localDescription!.sdp;
}

function forward(kind: Kind, packet: RtpPacket): void {
  for (const sender of subscribers[kind]) {
    sender.sendRtp(packet).catch((err: Error) => process.stderr.write(`werift SFU: send failed: ${err.message}\n`));
  }
}

async function handle(request: Request): Promise<Record<string, unknown>> {
  if (request.op === 'reset') {
    subscribers.audio = [];
    subscribers.video = [];
    for (const pc of peers.splice(0)) await pc.close();
    return {};
  }
  const pc = newPeer();
  pc.onRemoteTransceiverAdded.subscribe((transceiver) => {
    const kind = transceiver.kind as Kind;
    if (request.op === 'subscribe') {
      transceiver.setDirection('sendonly');
      subscribers[kind].push(transceiver.sender);
    } else {
      transceiver.setDirection('recvonly');
      transceiver.onTrack.subscribe((track: MediaStreamTrack) => track.onReceiveRtp.subscribe((packet) => forward(kind, packet)));
    }
  });
  return { answer: await answer(pc, request.offer!) };
}

process.on('message', (request: Request) => {
  handle(request).then(
    (reply) => process.send!({ id: request.id, ...reply }),
    (err: Error) => process.send!({ id: request.id, error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
