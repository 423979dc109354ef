/**
 * `@roamhq/wrtc` (libwebrtc for Node) as a second, independent WebRTC peer in tests. Its own type
 * declarations re-export the browser's DOM types, which this project does not compile against,
 * so the little of it the tests use is described here and the module is loaded through require.
 */
import { createRequire } from 'node:module';

export interface WrtcTrack {
  readonly kind: string;
  stop(): void;
}

export interface WrtcTransceiver {
  readonly receiver: { readonly track: WrtcTrack };
}

export interface WrtcSessionDescription {
  type: 'offer' | 'answer';
  sdp: string;
}

export interface WrtcPeerConnection {
  readonly iceGatheringState: string;
  readonly connectionState: string;
  readonly localDescription: WrtcSessionDescription | null;
  onicegatheringstatechange: (() => void) | null;
  onconnectionstatechange: (() => void) | null;
  addTransceiver(trackOrKind: WrtcTrack | 'audio' | 'video', init: { direction: 'sendonly' | 'recvonly' | 'sendrecv' }): WrtcTransceiver;
  createOffer(): Promise<WrtcSessionDescription>;
  setLocalDescription(description: WrtcSessionDescription): Promise<void>;
  setRemoteDescription(description: WrtcSessionDescription): Promise<void>;
  addIceCandidate(candidate: { candidate: string; sdpMid: string; sdpMLineIndex: number }): Promise<void>;
  close(): void;
}

export interface I420Frame {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface WrtcVideoSource {
  createTrack(): WrtcTrack;
  onFrame(frame: I420Frame): void;
}

export interface WrtcAudioSource {
  createTrack(): WrtcTrack;
  onData(data: { samples: Int16Array; sampleRate: number; bitsPerSample: number; channelCount: number; numberOfFrames: number }): void;
}

export interface WrtcVideoSink {
  onframe: ((event: { frame: { width: number; height: number } }) => void) | null;
  stop(): void;
}

export interface WrtcAudioSink {
  ondata: ((data: { samples: Int16Array; sampleRate: number; numberOfFrames: number }) => void) | null;
  stop(): void;
}

export interface Wrtc {
  RTCPeerConnection: new (config?: { iceServers?: unknown[] }) => WrtcPeerConnection;
  nonstandard: {
    RTCVideoSource: new () => WrtcVideoSource;
    RTCAudioSource: new () => WrtcAudioSource;
    RTCVideoSink: new (track: WrtcTrack) => WrtcVideoSink;
    RTCAudioSink: new (track: WrtcTrack) => WrtcAudioSink;
  };
}

let exitGuarded = false;

/**
 * Loads the module. wrtc 0.10 crashes (SIGSEGV) in its N-API finalizers when Node tears the
 * environment down at a natural exit once a video or audio sink has existed, even when every
 * object was stopped and closed; `process.exit` skips that teardown. So the process leaves
 * through `process.exit` once its event loop is empty, keeping the exit code it would have had
 * (stdout and stderr are synchronous for pipes and files on Linux: nothing is cut off).
 */
export function loadWrtc(): Wrtc {
  if (!exitGuarded) {
    exitGuarded = true;
    process.once('beforeExit', (code) => process.exit(process.exitCode ?? code));
  }
  return createRequire(import.meta.url)('@roamhq/wrtc') as Wrtc;
}

/**
 * A moving gradient in I420: luma ramps diagonally and shifts each frame, chroma planes vary
 * slowly, so the encoder has real (compressible, changing) content to work on.
 */
export function gradientFrame(width: number, height: number, frameNumber: number): I420Frame {
  const lumaSize = width * height;
  const chromaSize = (width / 2) * (height / 2);
  const data = new Uint8ClampedArray(lumaSize + 2 * chromaSize);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) data[row + x] = (x + y + frameNumber * 4) & 0xff;
  }
  data.fill(128 + ((frameNumber * 2) & 0x3f), lumaSize, lumaSize + chromaSize);
  data.fill(128 - ((frameNumber * 3) & 0x3f), lumaSize + chromaSize);
  return { width, height, data };
}

/** 10 ms of a 440 Hz tone, mono 16-bit at 48 kHz, continuing from `chunk` earlier chunks. */
export function toneChunk(chunk: number): { samples: Int16Array; sampleRate: number; bitsPerSample: number; channelCount: number; numberOfFrames: number } {
  const sampleRate = 48_000;
  const frames = sampleRate / 100;
  const samples = new Int16Array(frames);
  for (let i = 0; i < frames; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (chunk * frames + i)) / sampleRate));
  return { samples, sampleRate, bitsPerSample: 16, channelCount: 1, numberOfFrames: frames };
}

/** Resolves when the peer's ICE gathering is complete, so its SDP carries every candidate. */
export function wrtcGatheringComplete(pc: WrtcPeerConnection, timeoutMs = 10_000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrtc: ICE gathering not complete after ${timeoutMs} ms`)), timeoutMs);
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState !== 'complete') return;
      clearTimeout(timer);
      resolve();
    };
  });
}
