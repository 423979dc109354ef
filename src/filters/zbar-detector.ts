/**
 * The ZBarFilter's scanner, run on a detector thread: ZBar itself (`@undecaf/zbar-wasm`, the
 * library behind GStreamer's `zbar` element in KMS) on the luma plane, with ZBar's own symbol
 * names (`QR-Code`, `EAN-13`...) as KMS reports them in `CodeFound.codeType`.
 */
import { scanGrayBuffer } from '@undecaf/zbar-wasm';

export interface ScanInput {
  readonly width: number;
  readonly height: number;
  readonly luma: Uint8Array;
}

export interface FoundCode {
  readonly codeType: string;
  readonly value: string;
}

/** zbar_get_symbol_name() for each ZBAR_* type. */
const SYMBOL_NAMES: Record<string, string> = {
  ZBAR_EAN2: 'EAN-2', ZBAR_EAN5: 'EAN-5', ZBAR_EAN8: 'EAN-8', ZBAR_UPCE: 'UPC-E', ZBAR_ISBN10: 'ISBN-10',
  ZBAR_UPCA: 'UPC-A', ZBAR_EAN13: 'EAN-13', ZBAR_ISBN13: 'ISBN-13', ZBAR_COMPOSITE: 'COMPOSITE', ZBAR_I25: 'I2/5',
  ZBAR_DATABAR: 'DataBar', ZBAR_DATABAR_EXP: 'DataBar-Exp', ZBAR_CODABAR: 'Codabar', ZBAR_CODE39: 'CODE-39',
  ZBAR_CODE93: 'CODE-93', ZBAR_CODE128: 'CODE-128', ZBAR_PDF417: 'PDF417', ZBAR_QRCODE: 'QR-Code', ZBAR_SQCODE: 'SQ-Code',
};

export function symbolName(typeName: string): string {
  return SYMBOL_NAMES[typeName] ?? typeName.replace(/^ZBAR_/, '');
}

export default async function create(): Promise<(input: ScanInput) => Promise<FoundCode[]>> {
  return async ({ width, height, luma }) => {
    const buffer = luma.byteOffset === 0 && luma.byteLength === luma.buffer.byteLength ? (luma.buffer as ArrayBuffer) : luma.slice().buffer;
    const symbols = await scanGrayBuffer(buffer, width, height);
    return symbols.map((s) => ({ codeType: symbolName(s.typeName), value: s.decode() }));
  };
}
