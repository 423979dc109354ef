/**
 * Images that filters draw (overlays, chroma backgrounds, pointer windows), named by `file://` or
 * `http(s)://` URI. Each URI is fetched and decoded once (FFmpeg through node-av: PNG with its
 * transparency, JPEG, GIF, BMP, WebP...) and kept; each size it is drawn at is scaled once and
 * kept too. A URI that cannot be fetched, is not an image, or is absurdly large fails with a
 * message for the filter's `Error` event; the failure is not kept, so a later call tries again.
 * Sizes are checked from the file's header before FFmpeg sees it (`declaredSize`).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AV_PIX_FMT_YUVA420P, Decoder, Demuxer, FilterAPI, Frame } from 'node-av';
import { packPlane, type OverlayImage } from './picture.js';

/** Larger files are refused before decoding. */
const MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Larger pictures are refused before decoding (a 20000x20000 PNG would need 1.6 GB). */
const MAX_PIXELS = 16 * 1024 * 1024;
const MAX_SIDE = 8192;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_SCALED_PER_IMAGE = 16;

export class ImageError extends Error {}

interface SourceImage {
  readonly frame: Frame;
  readonly scaled: Map<string, Promise<OverlayImage>>;
}

async function fetchBytes(uri: string): Promise<Buffer> {
  let url: URL;
  try {
    url = new URL(uri.startsWith('/') ? `file://${uri}` : uri);
  } catch {
    throw new ImageError(`'${uri}' is not a URI`);
  }
  if (url.protocol === 'file:') {
    const bytes = await readFile(fileURLToPath(url)).catch((err: NodeJS.ErrnoException) => {
      throw new ImageError(`cannot read image ${uri}: ${err.code ?? err.message}`);
    });
    if (bytes.length > MAX_FILE_BYTES) throw new ImageError(`image ${uri} is larger than ${MAX_FILE_BYTES} bytes`);
    return bytes;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ImageError(`unsupported URI scheme in ${uri} (file, http and https are)`);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (err) {
    throw new ImageError(`cannot fetch image ${uri}: ${(err as Error).message}`);
  }
  if (!response.ok) throw new ImageError(`cannot fetch image ${uri}: HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_FILE_BYTES) throw new ImageError(`image ${uri} is larger than ${MAX_FILE_BYTES} bytes`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_FILE_BYTES) throw new ImageError(`image ${uri} is larger than ${MAX_FILE_BYTES} bytes`);
  return bytes;
}

/**
 * The picture size a PNG, GIF, BMP, JPEG or WebP file declares, read from its header: FFmpeg's
 * probing decodes a picture to learn its size, which for a decompression bomb is the harm itself.
 */
export function declaredSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.toString('ascii', 12, 16) === 'IHDR') return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  if (bytes.length >= 10 && bytes.toString('ascii', 0, 3) === 'GIF') return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  if (bytes.length >= 26 && bytes.toString('ascii', 0, 2) === 'BM') return { width: Math.abs(bytes.readInt32LE(18)), height: Math.abs(bytes.readInt32LE(22)) };
  if (bytes.length >= 30 && bytes.toString('ascii', 0, 4) === 'RIFF' && bytes.toString('ascii', 8, 12) === 'WEBP') {
    const chunk = bytes.toString('ascii', 12, 16);
    if (chunk === 'VP8X') return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
    if (chunk === 'VP8 ') return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
    if (chunk === 'VP8L') {
      const bits = bytes.readUInt32LE(21);
      return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    // JPEG: walk the segments to the first start-of-frame marker.
    let i = 2;
    while (i + 9 < bytes.length && bytes[i] === 0xff) {
      const marker = bytes[i + 1]!;
      const length = bytes.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { width: bytes.readUInt16BE(i + 7), height: bytes.readUInt16BE(i + 5) };
      i += 2 + length;
    }
  }
  return undefined;
}

function checkSize(uri: string, width: number, height: number): void {
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) throw new ImageError(`image ${uri} is too large (${width}x${height}; at most ${MAX_SIDE} per side and ${MAX_PIXELS} pixels)`);
}

async function decode(uri: string, bytes: Buffer): Promise<Frame> {
  const declared = declaredSize(bytes);
  if (declared) checkSize(uri, declared.width, declared.height);
  let demuxer: Demuxer;
  try {
    demuxer = await Demuxer.open(bytes);
  } catch (err) {
    throw new ImageError(`${uri} is not an image: ${(err as Error).message}`);
  }
  try {
    const stream = demuxer.video();
    if (!stream) throw new ImageError(`${uri} is not an image`);
    const { width, height } = stream.codecpar;
    if (width <= 0 || height <= 0) throw new ImageError(`${uri} is not an image`);
    checkSize(uri, width, height);
    const decoder = await Decoder.create(stream);
    try {
      // Reading a picture's packets from memory is quick: the synchronous reader is used
      // (node-av's asynchronous one needs Promise.withResolvers, which Node 20 lacks).
      for (const packet of demuxer.packetsSync(stream.index)) {
        if (!packet) break;
        const frames = await decoder.decodeAll(packet);
        packet.free();
        const [first, ...rest] = frames;
        for (const f of rest) f.free();
        if (first) return first;
      }
      const [last, ...rest] = await decoder.decodeAll(null);
      for (const f of rest) f.free();
      if (last) return last;
      throw new ImageError(`${uri} has no picture that decodes`);
    } finally {
      decoder.close();
    }
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(`${uri} is not an image that decodes: ${(err as Error).message}`);
  } finally {
    await demuxer.close();
  }
}

async function scale(source: Frame, width: number, height: number): Promise<OverlayImage> {
  const graph = FilterAPI.create(`scale=${width}:${height}:flags=bilinear,format=yuva420p`);
  try {
    const [out, ...rest] = await graph.processAll(source);
    for (const f of rest) f.free();
    if (!out || out.format !== AV_PIX_FMT_YUVA420P) throw new ImageError('the image could not be scaled');
    try {
      const planes = out.data!;
      const strides = out.linesize;
      const cw = (width + 1) >> 1;
      const ch = (height + 1) >> 1;
      return {
        width,
        height,
        y: packPlane(planes[0]!, strides[0]!, width, height),
        u: packPlane(planes[1]!, strides[1]!, cw, ch),
        v: packPlane(planes[2]!, strides[2]!, cw, ch),
        a: packPlane(planes[3]!, strides[3]!, width, height),
      };
    } finally {
      out.free();
    }
  } finally {
    graph.close();
  }
}

export class ImageCache {
  private readonly sources = new Map<string, Promise<SourceImage>>();

  /** The picture size of an image (fetching and decoding it the first time). */
  async size(uri: string): Promise<{ width: number; height: number }> {
    const source = await this.source(uri);
    return { width: source.frame.width, height: source.frame.height };
  }

  /** The image at a size, ready to blend. */
  async scaled(uri: string, width: number, height: number): Promise<OverlayImage> {
    width = Math.max(2, Math.round(width) & ~1);
    height = Math.max(2, Math.round(height) & ~1);
    const source = await this.source(uri);
    const key = `${width}x${height}`;
    let image = source.scaled.get(key);
    if (!image) {
      if (source.scaled.size >= MAX_SCALED_PER_IMAGE) source.scaled.delete(source.scaled.keys().next().value!);
      image = scale(source.frame, width, height);
      source.scaled.set(key, image);
      image.catch(() => source.scaled.delete(key));
    }
    return image;
  }

  private source(uri: string): Promise<SourceImage> {
    let source = this.sources.get(uri);
    if (!source) {
      source = fetchBytes(uri).then(async (bytes) => ({ frame: await decode(uri, bytes), scaled: new Map() }));
      this.sources.set(uri, source);
      source.catch(() => this.sources.delete(uri));
    }
    return source;
  }
}

/** The images of this media worker, shared by its filters. */
export const imageCache = new ImageCache();
