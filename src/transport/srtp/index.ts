/** Native SRTP/SRTCP (docs/ARCHITECTURE.md, "SRTP"). */
export { loadSrtpAddon, srtpAddonAvailable } from './native-addon.js';
export {
  isSrtpProfile,
  keyingMaterialLength,
  profileParameters,
  rejectReason,
  splitKeyingMaterial,
  SRTP_MAX_OVERHEAD,
  SrtpProfile,
  SrtpReject,
  type ProfileParameters,
  type SrtpMasterKeys,
  type SrtpRejectReason,
} from './profiles.js';
export {
  SrtpContext,
  SrtpError,
  type SrtpContextOptions,
  type SrtpCounters,
  type SrtpMasterKeyOptions,
  type SrtpSessionKeyOptions,
  type SrtpStats,
  type SrtpStreamState,
  type UnprotectResult,
} from './srtp-context.js';
export { SrtpSession, type SrtpSessionOptions } from './srtp-session.js';
