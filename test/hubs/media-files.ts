/**
 * Media files for the hub tests, made and read by Debian's ffmpeg (independent of our muxers and
 * codecs): clips of one colour and one tone, and the colours of a recorded frame.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export type Rgb = [number, number, number];

/** A VP8/Opus WebM clip of one colour (320x240, 30 fps, a key frame a second) and a sine tone. */
export function colorClip(path: string, color: string, toneHz: number, seconds: number): string {
  execFileSync('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=${color.replace('#', '0x')}:s=320x240:r=30`,
    '-f', 'lavfi', '-i', `sine=f=${toneHz}:r=48000`,
    '-t', String(seconds), '-g', '30', '-keyint_min', '30',
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k',
    '-c:a', 'libopus', '-b:a', '48k',
    path,
  ]);
  return path;
}

/**
 * The colours (r, g, b) at relative points of one frame of a video file, each averaged over 5x5
 * pixels. `atSeconds` counts from the start, or from the end when negative.
 */
export async function frameColors(path: string, atSeconds: number, points: [number, number][]): Promise<Rgb[]> {
  const probe = await execFileAsync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'stream=width,height:format=duration', '-of', 'default=nw=1', path]);
  const field = (name: string): number => Number(new RegExp(`^${name}=(.+)$`, 'm').exec(probe.stdout)?.[1]);
  const [width, height, duration] = [field('width'), field('height'), field('duration')];
  // Decoded from the start up to the time (a live recording has no index to seek by).
  const at = atSeconds >= 0 ? atSeconds : Math.max(0, duration + atSeconds);
  const { stdout } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', path, '-vf', `select=gte(t\\,${at.toFixed(3)})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 1 << 26,
  });
  return points.map(([x, y]) => {
    const px = Math.min(width - 5, Math.max(0, Math.round(x * width) - 2));
    const py = Math.min(height - 5, Math.max(0, Math.round(y * height) - 2));
    const sum: Rgb = [0, 0, 0];
    for (let dy = 0; dy < 5; dy++) {
      for (let dx = 0; dx < 5; dx++) {
        const i = ((py + dy) * width + px + dx) * 3;
        for (let c = 0; c < 3; c++) sum[c]! += stdout[i + c]!;
      }
    }
    return sum.map((v) => Math.round(v / 25)) as Rgb;
  });
}

export type ColorName = 'red' | 'green' | 'blue' | 'yellow' | 'black';

/** Whether a sampled colour is clearly the named one (codecs move colours a little). */
export function isColor([r, g, b]: Rgb, name: ColorName): boolean {
  switch (name) {
    case 'red':
      return r > 150 && g < 90 && b < 90;
    case 'green':
      return g > 120 && r < 90 && b < 90;
    case 'blue':
      return b > 150 && r < 90 && g < 90;
    case 'yellow':
      return r > 150 && g > 150 && b < 90;
    case 'black':
      return r < 40 && g < 40 && b < 40;
  }
}
