/**
 * The policy that picks which layer of a layered source a consumer should get, from its bandwidth
 * estimate, the loss its peer reports and its preferred maximum. It only decides; the
 * mechanics of a switch (waiting for a key frame, what passes meanwhile) belong to whoever holds
 * the layers: simulcast streams (`layer-selector.ts`) or the spatial layers of an SVC stream
 * (`rtp/vp9-svc-filter.ts`).
 */

/** What a consumer wants of a layered source (set by the element owning the sink pad). */
export interface LayerPreference {
  /** What the consumer's link can carry, bits/s; 0 when unknown (the top layer is taken). */
  estimateBps: number;
  /** The highest layer it wants (0 is the lowest); -1 for no limit. */
  maxLayer: number;
  /**
   * Whether the estimate is measured by a sender that probes (transport-wide feedback): it then
   * rises when the link does, and a layer above it is never tried, only taken once it fits.
   */
  measured?: boolean;
  /** The share of its packets the consumer's peer reported lost in its last receiver report (0..1). */
  loss?: number;
  /** When that report came (Date.now()), so each report counts once. */
  lossAtMs?: number;
}

/** A layer as the policy sees it: what it costs, whether it flows. */
export interface RankedLayer {
  /** 0 is the lowest. */
  readonly index: number;
  /** Bits per second the consumer receives when it gets this layer. */
  readonly bitrate: number;
  isActive(nowMs: number): boolean;
}

/** A lower target must hold for this long before the switch is asked for (estimates wobble). */
const DOWN_HOLD_MS = 300;
/** A fall of the estimate by this factor or more is congestion (REMB: 0.85 of what arrives). */
const CONGESTION_DROP = 0.9;
/** Reported loss above this is congestion: the viewer goes one layer down. */
const LOSS_CONGESTION = 0.05;
/** A move down for loss waits this long after the last move (the backlog of the old layer drains). */
const LOSS_SETTLE_MS = 1500;
/** After a fall, a layer whose bitrate exceeds the estimate by more than this must go. */
const FIT_TOLERANCE = 1.1;
/** Quiet time before trying the next layer up; doubled after each try that failed, up to the cap. */
const UP_HOLD_MS = 1500;
const UP_HOLD_MAX_MS = 8000;
/**
 * How far above the estimate the next layer may be for a try. A receiver's REMB grows to about
 * 1.5 times what arrives, so a layer beyond that is out of reach without probing (not done yet).
 */
const TRIAL_REACH = 1.6;
/** A layer kept this long after a move up was a success: the next try waits the least again. */
const UP_SUCCESS_MS = 8000;
/**
 * For this long after congestion moved a viewer down (its estimate fell clearly short of its
 * layer), it moves up only to a layer its estimate
 * carries outright (with `UP_HEADROOM`), never on a try beyond it. Without probing, a try is the
 * only way to learn that a link grew, and on a link that did not it costs a pause as long as the
 * tried layer's key frame takes through it (about a second for a 480x360 VP8 key frame at
 * 300 kbit/s); a link that was only briefly congested shows it by its estimate rising again.
 */
const CONGESTION_MEMORY_MS = 30_000;
/** An estimate under this share of the layer's rate is a link that is smaller, not a dip. */
const CLEAR_SHORTFALL = 0.8;
/** How far the estimate must exceed a layer for a move up after congestion (key frames burst). */
const UP_HEADROOM = 1.1;

/**
 * Receiver estimates (REMB) grow only slowly past what arrives, so waiting for the estimate to
 * reach the next layer's bitrate would keep a viewer low for long. Instead the viewer tries the
 * next layer up after a quiet period when it is within reach of the estimate, and goes back down
 * when its estimate falls or its receiver reports loss (congestion): each failed try doubles the
 * wait before the next one. Shortly after congestion, no try: only layers the estimate carries.
 */
export class LayerPolicy<L extends RankedLayer> {
  private lowerSinceMs = 0;
  private lastEstimate = 0;
  private congestedAtMs = 0;
  private lossReportMs = 0;
  private lossyAtMs = 0;
  private movedAtMs = 0;
  private movedUp = false;
  private upHoldMs = UP_HOLD_MS;
  /** When a clear fall of the estimate last moved the viewer down (`CONGESTION_MEMORY_MS`). */
  private congestedMoveAtMs = Number.NEGATIVE_INFINITY;
  /** The highest layer the consumer wanted at the last decision (a raise is acted on at once). */
  private lastMaxLayer: number | undefined;
  /** The layer decided last (what the consumer gets, or is switching to). */
  target: L | undefined;

  constructor(private readonly preference: () => LayerPreference | undefined) {}

  /**
   * Decides again: returns the new target when it changed (the holder then switches), undefined
   * otherwise. `currentActive`: whether the layer the consumer receives now still flows (going
   * down waits a little for a dip of the estimate to pass, unless it stopped).
   */
  decide(layers: readonly L[], currentActive: boolean, nowMs: number): L | undefined {
    const wanted = this.choose(layers, nowMs);
    if (!wanted || wanted === this.target) {
      this.lowerSinceMs = 0;
      return undefined;
    }
    if (this.target && wanted.index < this.target.index && currentActive) {
      if (this.lowerSinceMs === 0) this.lowerSinceMs = nowMs;
      if (nowMs - this.lowerSinceMs < DOWN_HOLD_MS) return undefined;
    }
    this.lowerSinceMs = 0;
    if (this.target) {
      const up = wanted.index > this.target.index;
      // Down soon after a move up: that try failed, wait longer before the next.
      if (!up && this.movedUp && nowMs - this.movedAtMs < UP_SUCCESS_MS) this.upHoldMs = Math.min(UP_HOLD_MAX_MS, this.upHoldMs * 2);
      this.movedUp = up;
      this.movedAtMs = nowMs;
    }
    this.target = wanted;
    return wanted;
  }

  /** The layer this consumer should receive now. */
  private choose(layers: readonly L[], nowMs: number): L | undefined {
    const preference = this.preference();
    const maxLayer = preference && preference.maxLayer >= 0 ? preference.maxLayer : layers.length - 1;
    const raised = this.lastMaxLayer !== undefined && maxLayer > this.lastMaxLayer;
    this.lastMaxLayer = maxLayer;
    const estimate = preference?.estimateBps ?? 0;
    if (estimate !== this.lastEstimate) {
      // The first estimate counts as a fall: a receiver sends it early when it is congested.
      if (this.lastEstimate === 0 || estimate < this.lastEstimate * CONGESTION_DROP) this.congestedAtMs = nowMs;
      this.lastEstimate = estimate;
    }
    if (preference?.lossAtMs !== undefined && preference.lossAtMs !== this.lossReportMs) {
      this.lossReportMs = preference.lossAtMs;
      if ((preference.loss ?? 0) > LOSS_CONGESTION) this.lossyAtMs = nowMs;
    }
    if (this.movedUp && nowMs - this.movedAtMs >= UP_SUCCESS_MS) this.upHoldMs = UP_HOLD_MS;
    const active = layers.filter((l) => l.isActive(nowMs));
    if (active.length === 0) return undefined;
    const allowed = active.filter((l) => l.index <= maxLayer);
    const top = allowed[allowed.length - 1] ?? active[0]!;
    const fitting = (): L => [...allowed].reverse().find((l) => l.bitrate <= estimate) ?? active[0]!;
    const now = this.target?.isActive(nowMs) ? this.target : undefined;
    if (!now) return estimate > 0 ? fitting() : top;
    if (now.index > top.index) return top;
    const congestedLately = nowMs - this.congestedMoveAtMs < CONGESTION_MEMORY_MS;
    const carried = (l: L): boolean => estimate <= 0 || l.bitrate * UP_HEADROOM <= estimate;
    if (raised && top.index > now.index) {
      // The application asked for more: it gets it at once, as a new viewer would, unless its link
      // congested lately; then as much as its estimate carries.
      return congestedLately ? ([...allowed].reverse().find((l) => l.index > now.index && carried(l)) ?? now) : top;
    }
    if (nowMs - this.lossyAtMs < 1000 && (this.movedUp || nowMs - this.movedAtMs >= LOSS_SETTLE_MS)) {
      return [...allowed].reverse().find((l) => l.index < now.index) ?? now;
    }
    if (estimate > 0 && nowMs - this.congestedAtMs < 1000 && now.bitrate > estimate * FIT_TOLERANCE) {
      // A dip a little below the layer is the estimator's noise or a passing burst: tried again soon.
      if (estimate < now.bitrate * CLEAR_SHORTFALL) this.congestedMoveAtMs = nowMs;
      return fitting();
    }
    const quiet = Math.min(nowMs - this.movedAtMs, nowMs - this.congestedAtMs, nowMs - this.lossyAtMs);
    const next = allowed.find((l) => l.index > now.index);
    if (!next || quiet < this.upHoldMs) return now;
    if (congestedLately || preference?.measured) return carried(next) ? next : now;
    return estimate <= 0 || next.bitrate <= estimate * TRIAL_REACH ? next : now;
  }
}
