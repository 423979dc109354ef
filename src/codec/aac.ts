/** AAC's AudioSpecificConfig (ISO 14496-3 §1.6.2.1): what MP4 and Matroska store for an AAC track. */

const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const AAC_LC = 2;

/** The two-byte config of AAC-LC at a standard rate; undefined for a rate AAC does not index. */
export function aacConfig(sampleRate: number, channels: number): Buffer | undefined {
  const index = SAMPLE_RATES.indexOf(sampleRate);
  if (index < 0 || channels < 1 || channels > 7) return undefined;
  return Buffer.from([(AAC_LC << 3) | (index >> 1), ((index & 1) << 7) | (channels << 3)]);
}
