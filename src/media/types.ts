/** Vocabulary of the media plane shared by pads, elements and transports. */

export type MediaKind = 'AUDIO' | 'VIDEO' | 'DATA';

export const ALL_MEDIA_KINDS: readonly MediaKind[] = ['AUDIO', 'VIDEO', 'DATA'];

/** Kurento's name for the pads and descriptions nobody named. */
export const DEFAULT_DESCRIPTION = 'default';

export type MediaFlowState = 'FLOWING' | 'NOT_FLOWING';
