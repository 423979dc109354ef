/** The picture size of a JPEG image, from its start-of-frame segment (ITU T.81 §B.2.2). */
export function jpegDimensions(image: Buffer): { width: number; height: number } | undefined {
  let offset = 2; // after SOI
  while (offset + 9 < image.length) {
    if (image[offset] !== 0xff) return undefined;
    const marker = image[offset + 1]!;
    const length = image.readUInt16BE(offset + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: image.readUInt16BE(offset + 5), width: image.readUInt16BE(offset + 7) };
    }
    offset += 2 + length;
  }
  return undefined;
}
