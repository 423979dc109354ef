/**
 * The real GStreamer, for a GStreamerFilter element outside the FFmpeg table, when Debian's
 * GStreamer is installed: a `gst-launch-1.0` child runs `fdsrc ! rawvideoparse ! videoconvert ! <element> !
 * videoconvert ! videoscale ! I420 of the same size ! fdsink`, and frames travel through its
 * stdin and stdout as raw I420 pictures. Two pipe copies per frame: a fallback, not the main
 * path. The child is restarted when the picture size changes or a property is set (the property
 * is appended to the command, where GStreamer's parser lets the last value win).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { AV_PIX_FMT_YUV420P, Frame } from 'node-av';
import { FrameFilterGraph } from './ffmpeg-graph.js';
import { tokens } from './gst-launch.js';

const known = new Map<string, boolean>();

/** Whether the installed GStreamer (if any) has an element of this name. */
export function gstreamerHasElement(name: string): boolean {
  let found = known.get(name);
  if (found === undefined) {
    const result = spawnSync('gst-inspect-1.0', ['--exists', name], { stdio: 'ignore', timeout: 5000 });
    found = result.status === 0;
    known.set(name, found);
  }
  return found;
}

interface Waiting {
  resolve: (frame: Frame | undefined) => void;
  frame: Frame;
}

export class GstProcessFilter {
  private child: ChildProcessWithoutNullStreams | undefined;
  private size = '';
  private pictureBytes = 0;
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private readonly waiting: Waiting[] = [];
  private readonly converter = new FrameFilterGraph('format=yuv420p');
  private closed = false;

  constructor(private command: string) {}

  setProperty(name: string, value: string): void {
    this.command = `${this.command} ${name}=${JSON.stringify(value)}`;
    this.stop();
  }

  async run(frame: Frame): Promise<Frame | undefined> {
    if (this.closed) return undefined;
    const i420 = frame.format === AV_PIX_FMT_YUV420P ? frame : await this.converter.run(frame);
    if (!i420) return undefined;
    try {
      const size = `${i420.width}x${i420.height}`;
      if (!this.child || size !== this.size) this.start(i420.width, i420.height);
      const child = this.child!;
      return await new Promise<Frame | undefined>((resolve) => {
        this.waiting.push({ resolve, frame });
        child.stdin.write(i420.toBuffer());
      });
    } finally {
      if (i420 !== frame) i420.free();
    }
  }

  close(): void {
    this.closed = true;
    this.stop();
    this.converter.close();
  }

  private start(width: number, height: number): void {
    this.stop();
    this.size = `${width}x${height}`;
    this.pictureBytes = width * height + 2 * (((width + 1) >> 1) * ((height + 1) >> 1));
    // gst-launch-1.0 takes the description one token per argument (it quotes each one again).
    const pipeline = [
      ...`fdsrc fd=0 blocksize=${this.pictureBytes} ! rawvideoparse width=${width} height=${height} format=i420 framerate=30/1 ! videoconvert !`.split(' '),
      ...tokens(this.command),
      ...`! videoconvert ! videoscale ! video/x-raw,format=I420,width=${width},height=${height} ! fdsink fd=1 sync=false`.split(' '),
    ];
    const child = spawn('gst-launch-1.0', ['-q', ...pipeline], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdin.on('error', () => this.failAll(child));
    child.stderr.resume();
    child.stdout.on('data', (chunk: Buffer) => this.onData(width, height, chunk));
    child.on('exit', () => this.failAll(child));
  }

  private onData(width: number, height: number, chunk: Buffer): void {
    this.received.push(chunk);
    this.receivedBytes += chunk.length;
    while (this.receivedBytes >= this.pictureBytes) {
      const all = Buffer.concat(this.received);
      const picture = all.subarray(0, this.pictureBytes);
      this.received = [all.subarray(this.pictureBytes)];
      this.receivedBytes -= this.pictureBytes;
      const next = this.waiting.shift();
      if (!next) continue;
      const out = Frame.fromVideoBuffer(Buffer.from(picture), { width, height, format: AV_PIX_FMT_YUV420P, timeBase: next.frame.timeBase });
      next.resolve(out);
    }
  }

  /** The child ended (or its pipe broke): frames waiting for it pass unchanged. */
  private failAll(child: ChildProcessWithoutNullStreams): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const w of this.waiting.splice(0)) w.resolve(undefined);
  }

  private stop(): void {
    const child = this.child;
    this.child = undefined;
    for (const w of this.waiting.splice(0)) w.resolve(undefined);
    this.received = [];
    this.receivedBytes = 0;
    if (child) {
      child.stdin.end();
      child.kill('SIGTERM');
    }
  }
}
