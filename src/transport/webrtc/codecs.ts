/**
 * The codecs WebRtcEndpoint negotiates, with the feedback each one uses: NACK and RTX for loss,
 * PLI and FIR for keyframes, REMB and transport-wide feedback for bandwidth. Transport-wide
 * congestion control is kept only on sections where we only send (a viewer): there our
 * send-side estimator reads the peer's feedback. A peer that sends to us gets REMB, as we give no
 * transport-wide feedback (`header-extension-sdp.ts`; see docs/ARCHITECTURE.md).
 */
import { RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters } from 'werift';
import { AUDIO_LEVEL_EXTENSION } from '../../rtp/audio-level.js';
import { TRANSPORT_CC_EXTENSION } from '../../rtp/transport-feedback.js';
import { REPAIRED_RID_EXTENSION, RID_EXTENSION } from './simulcast-sdp.js';

const VIDEO_FEEDBACK = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'goog-remb' },
  { type: 'transport-cc' },
];

function video(mimeType: string, payloadType: number, parameters?: string): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({
      mimeType,
      clockRate: 90000,
      payloadType,
      rtcpFeedback: VIDEO_FEEDBACK,
      ...(parameters ? { parameters } : {}),
    }),
    new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000, payloadType: payloadType + 1, parameters: `apt=${payloadType}` }),
  ];
}

/** Video codecs in our order of preference when we make the offer. */
export function videoCodecs(): RTCRtpCodecParameters[] {
  return [
    ...video('video/VP8', 96),
    ...video('video/VP9', 98, 'profile-id=0'),
    ...video('video/H264', 102, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f'),
    ...video('video/H264', 104, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f'),
    ...video('video/H264', 106, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f'),
    ...video('video/H264', 108, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f'),
    ...video('video/H264', 110, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f'),
  ];
}

export function audioCodecs(): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      payloadType: 111,
      parameters: 'minptime=10;useinbandfec=1',
      rtcpFeedback: [{ type: 'nack' }],
    }),
    new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
    new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
  ];
}

/** RTP header extensions we understand. The SFU path strips all others. */
export function headerExtensions(): { audio: RTCRtpHeaderExtensionParameters[]; video: RTCRtpHeaderExtensionParameters[] } {
  const mid = new RTCRtpHeaderExtensionParameters({ id: 1, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' });
  const absSendTime = new RTCRtpHeaderExtensionParameters({ id: 2, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' });
  // A simulcast offer must get these back, or the offerer rejects the answer; they name the layers.
  const rid = new RTCRtpHeaderExtensionParameters({ id: 3, uri: RID_EXTENSION });
  const repairedRid = new RTCRtpHeaderExtensionParameters({ id: 4, uri: REPAIRED_RID_EXTENSION });
  // The sender's level of each audio packet (RFC 6464): who is speaking, without decoding.
  const audioLevel = new RTCRtpHeaderExtensionParameters({ id: 5, uri: AUDIO_LEVEL_EXTENSION });
  // Transport-wide sequence numbers on what we send to a viewer: its feedback drives our estimate.
  const transportCc = new RTCRtpHeaderExtensionParameters({ id: 6, uri: TRANSPORT_CC_EXTENSION });
  return { audio: [mid, absSendTime, audioLevel], video: [mid, absSendTime, rid, repairedRid, transportCc] };
}

/**
 * Only the codecs a configuration allows (KMS's SdpEndpoint `audioCodecs`/`videoCodecs`, names
 * like `VP8/90000` or `opus/48000/2`), with their RTX; all of them when none is configured.
 */
export function allowedCodecs(codecs: RTCRtpCodecParameters[], allowed: readonly string[] | undefined): RTCRtpCodecParameters[] {
  if (!allowed) return codecs;
  const names = new Set(allowed.map((name) => name.split('/').slice(0, 2).join('/').toLowerCase()));
  const kept = codecs.filter((c) => !c.mimeType.endsWith('/rtx') && names.has(`${c.mimeType.split('/')[1]!}/${c.clockRate}`.toLowerCase()));
  const keptTypes = new Set(kept.map((c) => c.payloadType));
  return codecs.filter((c) => kept.includes(c) || (c.mimeType.endsWith('/rtx') && keptTypes.has(Number(/apt=(\d+)/.exec(c.parameters ?? '')?.[1]))));
}
