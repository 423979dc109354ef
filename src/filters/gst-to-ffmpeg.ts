/**
 * GStreamer elements as FFmpeg filter chains: the elements people put in a GStreamerFilter
 * (Kurento's tutorials and tests, and the usual picture and sound adjustments) rendered as the
 * FFmpeg filters that do the same, so a GStreamerFilter needs no GStreamer. Values are converted
 * to FFmpeg's ranges (GStreamer's hue −1..1 is ±180°, its audio delays are nanoseconds...).
 * Each element says which kind of media it works on; `translate` returns undefined for an
 * element outside the table.
 */
import { parseCaps, type GstElement } from './gst-launch.js';

export type GstMediaKind = 'VIDEO' | 'AUDIO';

export interface Translation {
  readonly kind: GstMediaKind;
  /** FFmpeg filter chain; `null` passes frames as they are. */
  readonly filters: string;
}

export class GstPropertyError extends Error {}

/** GStreamer's videoflip methods, by nick and by number, as FFmpeg filters. */
const FLIPS: Record<string, string> = {
  none: 'null', identity: 'null', '0': 'null', automatic: 'null', auto: 'null', '8': 'null',
  clockwise: 'transpose=clock', '90r': 'transpose=clock', '1': 'transpose=clock',
  'rotate-180': 'hflip,vflip', '180': 'hflip,vflip', '2': 'hflip,vflip',
  counterclockwise: 'transpose=cclock', '90l': 'transpose=cclock', '3': 'transpose=cclock',
  'horizontal-flip': 'hflip', horiz: 'hflip', '4': 'hflip',
  'vertical-flip': 'vflip', vert: 'vflip', '5': 'vflip',
  'upper-left-diagonal': 'transpose=cclock_flip', 'ul-lr': 'transpose=cclock_flip', '6': 'transpose=cclock_flip',
  'upper-right-diagonal': 'transpose=clock_flip', 'ur-ll': 'transpose=clock_flip', '7': 'transpose=clock_flip',
};

const COLOR_EFFECTS: Record<string, string> = {
  none: 'null',
  heat: 'pseudocolor=preset=heat',
  sepia: 'colorchannelmixer=.393:.769:.189:0:.349:.686:.168:0:.272:.534:.131',
  xray: 'hue=s=0,negate',
  xpro: 'curves=preset=cross_process',
  yellowblue: 'curves=r=0/0.2 1/1:g=0/0.2 1/1:b=0/0.8 1/0.2',
};

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

function num(element: GstElement, property: string, fallback: number): number {
  const raw = element.properties.get(property);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new GstPropertyError(`${element.name}: property '${property}' takes a number, got '${raw}'`);
  return value;
}

function bool(element: GstElement, property: string): boolean {
  const raw = element.properties.get(property)?.toLowerCase();
  return raw === 'true' || raw === '1' || raw === 'yes';
}

function enumValue(element: GstElement, property: string, table: Record<string, string>, fallback: string): string {
  const raw = element.properties.get(property) ?? fallback;
  const value = table[raw.toLowerCase()];
  if (value === undefined) throw new GstPropertyError(`${element.name}: '${raw}' is not a valid value of '${property}'`);
  return value;
}

/** Text for FFmpeg's drawtext, with its special characters escaped. */
function drawtextText(text: string): string {
  return text.replace(/\\/g, '\\\\\\\\').replace(/'/g, "\\\\\\'").replace(/:/g, '\\\\:').replace(/%/g, '\\\\%');
}

function textOverlay(element: GstElement, text: string): string {
  const valign = (element.properties.get('valignment') ?? (element.name === 'textoverlay' ? 'baseline' : 'top')).toLowerCase();
  const halign = (element.properties.get('halignment') ?? 'left').toLowerCase();
  const size = /(\d+)\s*$/.exec(element.properties.get('font-desc') ?? '')?.[1] ?? '24';
  const pad = 8;
  const x = halign === 'center' ? '(w-text_w)/2' : halign === 'right' ? `w-text_w-${pad}` : `${pad}`;
  const y = valign === 'top' ? `${pad}` : valign === 'center' ? '(h-text_h)/2' : `h-text_h-${pad}`;
  const box = bool(element, 'shaded-background') ? ':box=1:boxcolor=black@0.5' : '';
  return `drawtext=fontfile=${FONT}:text='${text}':fontsize=${size}:fontcolor=white:x=${x}:y=${y}${box}`;
}

function capsFilter(caps: string): Translation {
  const { mediaType, fields } = parseCaps(caps);
  const filters: string[] = [];
  if (mediaType.startsWith('audio/')) {
    const rate = fields.get('rate');
    const channels = fields.get('channels');
    if (rate) filters.push(`aresample=${Number(rate)}`);
    if (channels) filters.push(`aformat=channel_layouts=${Number(channels) === 1 ? 'mono' : 'stereo'}`);
    return { kind: 'AUDIO', filters: filters.join(',') || 'anull' };
  }
  const width = fields.get('width');
  const height = fields.get('height');
  if (width || height) filters.push(`scale=${width ? Number(width) : -2}:${height ? Number(height) : -2}`);
  const framerate = fields.get('framerate');
  if (framerate && /^\d+(\/\d+)?$/.test(framerate)) filters.push(`fps=${framerate}`);
  return { kind: 'VIDEO', filters: filters.join(',') || 'null' };
}

const VIDEO_PASS = new Set(['identity', 'queue', 'videoconvert', 'videoscale', 'videorate', 'autovideoconvert']);
const AUDIO_PASS = new Set(['audioconvert', 'audioresample', 'audiorate']);

/** The FFmpeg chain for an element of the table, or undefined. Throws GstPropertyError on bad values. */
export function translate(element: GstElement): Translation | undefined {
  const e = element;
  const video = (filters: string): Translation => ({ kind: 'VIDEO', filters });
  const audio = (filters: string): Translation => ({ kind: 'AUDIO', filters });
  if (VIDEO_PASS.has(e.name)) return video('null');
  if (AUDIO_PASS.has(e.name)) return audio('anull');
  switch (e.name) {
    case 'videoflip': {
      const property = e.properties.has('video-direction') ? 'video-direction' : 'method';
      return video(enumValue(e, property, FLIPS, 'none'));
    }
    case 'videobalance': {
      const hue = num(e, 'hue', 0) * 180;
      return video(`eq=contrast=${num(e, 'contrast', 1)}:brightness=${num(e, 'brightness', 0)}:saturation=${num(e, 'saturation', 1)}${hue !== 0 ? `,hue=h=${hue}` : ''}`);
    }
    case 'gamma':
      return video(`eq=gamma=${num(e, 'gamma', 1)}`);
    case 'capsfilter':
      return capsFilter(e.properties.get('caps') ?? 'video/x-raw');
    case 'videocrop': {
      const [t, b, l, r] = ['top', 'bottom', 'left', 'right'].map((p) => Math.max(0, Math.round(num(e, p, 0))));
      return video(`crop=iw-${l! + r!}:ih-${t! + b!}:${l}:${t}`);
    }
    case 'videobox': {
      // Positive values crop, negative ones add a border (GStreamer's videobox).
      const [t, b, l, r] = ['top', 'bottom', 'left', 'right'].map((p) => Math.round(num(e, p, 0)));
      const c = (v: number): number => Math.max(0, v);
      const p = (v: number): number => Math.max(0, -v);
      const border = p(t!) + p(b!) + p(l!) + p(r!) > 0 ? `,pad=iw+${p(l!) + p(r!)}:ih+${p(t!) + p(b!)}:${p(l!)}:${p(t!)}` : '';
      return video(`crop=iw-${c(l!) + c(r!)}:ih-${c(t!) + c(b!)}:${c(l!)}:${c(t!)}${border}`);
    }
    case 'coloreffects':
      return video(enumValue(e, 'preset', COLOR_EFFECTS, 'none'));
    case 'textoverlay':
      return video(textOverlay(e, drawtextText(e.properties.get('text') ?? '')));
    case 'timeoverlay':
      return video(textOverlay(e, '%{pts\\:hms}'));
    case 'clockoverlay':
      return video(textOverlay(e, '%{localtime\\:%H\\\\\\:%M\\\\\\:%S}'));
    case 'volume':
      return audio(bool(e, 'mute') ? 'volume=0' : `volume=${num(e, 'volume', 1)}`);
    case 'audioamplify':
      return audio(`volume=${num(e, 'amplification', 1)}`);
    case 'audioecho': {
      const delayMs = Math.max(1, num(e, 'delay', 1) / 1e6);
      const intensity = num(e, 'intensity', 0);
      const feedback = num(e, 'feedback', 0);
      return audio(intensity > 0 ? `aecho=1:1:${delayMs}:${Math.min(1, Math.max(0.01, intensity + feedback))}` : 'anull');
    }
    case 'audiocheblimit':
    case 'audiowsinclimit': {
      const mode = (e.properties.get('mode') ?? 'low-pass').toLowerCase();
      const cutoff = num(e, 'cutoff', 0);
      const filter = mode === 'high-pass' || mode === '1' ? 'highpass' : 'lowpass';
      return audio(cutoff > 0 ? `${filter}=f=${cutoff}` : 'anull');
    }
    case 'audiopanorama': {
      const pan = Math.max(-1, Math.min(1, num(e, 'panorama', 0)));
      return audio(`stereotools=balance_out=${pan}`);
    }
    case 'equalizer-3bands': {
      const bands = [[100, 'band0'], [1100, 'band1'], [11000, 'band2']] as const;
      return audio(bands.map(([f, p]) => `equalizer=f=${f}:t=o:w=2:g=${num(e, p, 0)}`).join(','));
    }
    case 'equalizer-10bands': {
      const centres = [29, 59, 119, 237, 474, 947, 1889, 3770, 7523, 15011];
      return audio(centres.map((f, i) => `equalizer=f=${f}:t=o:w=1:g=${num(e, `band${i}`, 0)}`).join(','));
    }
    case 'pitch': {
      const pitch = num(e, 'pitch', 1);
      const tempo = num(e, 'tempo', 1);
      if (pitch <= 0 || tempo <= 0) throw new GstPropertyError('pitch: pitch and tempo must be positive');
      return audio(`asetrate=48000*${pitch},aresample=48000,atempo=${Math.max(0.5, Math.min(2, tempo / pitch))}`);
    }
    case 'audiodynamic': {
      const threshold = num(e, 'threshold', 0);
      const ratio = num(e, 'ratio', 1);
      return audio(`acompressor=threshold=${Math.max(0.001, threshold)}:ratio=${Math.max(1, ratio < 1 ? 1 / Math.max(ratio, 0.05) : ratio)}`);
    }
    default:
      return undefined;
  }
}
