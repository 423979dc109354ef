/**
 * UriEndpoint: what RecorderEndpoint and PlayerEndpoint share — the URI, the STOP/START/PAUSE
 * state machine with its UriEndpointStateChanged event, and Kurento's Error event for media I/O
 * failures.
 */
import { isAbsolute } from 'node:path';
import { filePathOf, fileUriOf, isInside } from '../codec/file-uri.js';
import { KurentoError } from '../errors.js';
import type { MediaIoError } from '../codec/media-io-error.js';
import { MediaElementImpl } from './media-element.js';
import type { ObjectInit } from './media-object.js';

export type UriEndpointState = 'STOP' | 'START' | 'PAUSE';

/** Where KMS puts a URI given without a scheme (its `UriEndpoint.defaultPath`), unless configured. */
const DEFAULT_PATH = '/var/lib/kurento';

/**
 * The URI as given (what getUri answers) and as used: a bare path becomes a file:// URI, placed
 * under the default path when relative. Its `..` segments stay for the file system to resolve.
 */
export function absoluteUri(uri: string, defaultPath: string = DEFAULT_PATH): string {
  const decoded = uri.replace(/%2F/gi, '/');
  if (/^[a-z][a-z0-9+.-]*:/i.test(decoded)) return decoded;
  return fileUriOf(isAbsolute(decoded) ? decoded : `${defaultPath.replace(/\/+$/, '')}/${decoded}`);
}

export abstract class UriEndpointImpl extends MediaElementImpl {
  readonly uri: string;
  /** The URI with a scheme, as the endpoint reads or writes it. */
  protected readonly target: string;
  private currentState: UriEndpointState = 'STOP';

  constructor(init: ObjectInit) {
    super(init);
    this.uri = init.params.uri as string;
    this.target = absoluteUri(this.uri, init.host.config.defaultUriPath);
    const root = init.host.config.uriRoot;
    if (root !== undefined && /^file:/i.test(this.target) && !isInside(filePathOf(this.target), root)) {
      throw new KurentoError('MARSHALL_ERROR', `URI ${this.uri} is outside the media folder ${root} (or leads through a folder that does not exist)`);
    }
  }

  getUri(): string {
    return this.uri;
  }

  getState(): UriEndpointState {
    return this.currentState;
  }

  protected get state(): UriEndpointState {
    return this.currentState;
  }

  /** Moves to a state, raising UriEndpointStateChanged when it changes. Returns whether it did. */
  protected setState(state: UriEndpointState): boolean {
    if (state === this.currentState) return false;
    this.currentState = state;
    this.emit('UriEndpointStateChanged', { state });
    return true;
  }

  /** Raises Kurento's Error event for a failure of the media source or target. */
  protected reportError(error: MediaIoError): void {
    this.emitError(error.type, error.errorCode, error.message);
  }

  abstract pause(): unknown;
  abstract stop(): unknown;
}
