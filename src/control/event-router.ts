/**
 * Delivers events to the sessions that subscribed to them, in the exact `onEvent` shape KMS sends:
 * `{method:"onEvent", params:{value:{data, object, type}}}` where `data` carries the event's fields
 * plus `source`, `timestampMillis` (a string), `tags` and — for media events — `type`.
 */
import type { ApiCatalog } from '../api/catalog.js';
import type { Marshaller } from '../api/marshal.js';
import type { RemoteObject } from '../registry/remote-object.js';
import type { SessionStore } from '../session/session-store.js';
import type { Logger } from '../log.js';

export class EventRouter {
  constructor(
    private readonly catalog: ApiCatalog,
    private readonly marshaller: Marshaller,
    private readonly sessions: SessionStore,
    private readonly log: Logger,
  ) {}

  /** Sends an event raised by `object` to every session subscribed to it. */
  deliver(object: RemoteObject, type: string, fields: Record<string, unknown>, timestamp = Date.now()): void {
    const subscribers = this.sessions.subscribers(object.id, type);
    if (subscribers.length === 0) return;
    const message = { jsonrpc: '2.0', method: 'onEvent', params: { value: { data: this.buildData(object, type, fields, timestamp), object: object.id, type } } };
    for (const session of subscribers) {
      if (session.connection?.isOpen) session.connection.notify(message);
    }
  }

  private buildData(object: RemoteObject, type: string, fields: Record<string, unknown>, timestamp: number): Record<string, unknown> {
    const info = this.catalog.findEvent(type);
    const tags = object.sendTagsInEvents
      ? object.sortedTags().map((tag) => ({ __module__: 'kurento', __type__: 'Tag', ...tag }))
      : [];
    const data: Record<string, unknown> = {};
    if (!info) {
      this.log.warn('event not in the API description', { type });
      Object.assign(data, fields);
    } else {
      for (const field of info.fields) {
        if (field.name === 'source' || field.name === 'timestampMillis' || field.name === 'tags') continue;
        if (field.name === 'type' && info.isMediaEvent) continue;
        const value = fields[field.name];
        if (value !== undefined) data[field.name] = this.marshaller.encodeValue(field.type, value, info.module);
      }
    }
    data.source = typeof fields.source === 'string' ? fields.source : object.id;
    data.tags = tags;
    data.timestampMillis = String(timestamp);
    if (info?.isMediaEvent) data.type = type;
    return data;
  }
}
