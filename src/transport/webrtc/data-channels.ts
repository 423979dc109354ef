/**
 * The SCTP data channels of a WebRTC session (werift's): the ones we open and the ones the peer
 * opens, their messages both ways, and their state for getStats. Channels are known by id once
 * open; messages go out on the open channel with the message's label.
 */
import type { RTCDataChannel, RTCPeerConnection } from 'werift';
import { KurentoError } from '../../errors.js';
import type { DataMedia } from '../../media/rtp-media.js';
import { TypedEmitter } from '../../typed-emitter.js';

export interface DataChannelOptions {
  ordered: boolean;
  /** Milliseconds; negative for no limit. */
  maxPacketLifeTime: number;
  /** Negative for no limit. */
  maxRetransmits: number;
  protocol: string;
}

/** One channel as getStats reports it. */
export interface DataChannelState {
  id: number;
  label: string;
  state: string;
  messagesSent: number;
  bytesSent: number;
  messagesReceived: number;
  bytesReceived: number;
  protocol: string;
}

export interface DataChannelEvents {
  dataOpened: [{ id: number; label: string }];
  dataClosed: [{ id: number; label: string }];
  data: [DataMedia];
}

export class DataChannels extends TypedEmitter<DataChannelEvents> {
  private readonly open = new Map<number, RTCDataChannel>();

  /** Opens a channel to the peer. */
  create(pc: RTCPeerConnection, label: string, options: DataChannelOptions): void {
    const channel = pc.createDataChannel(label, {
      ordered: options.ordered,
      protocol: options.protocol,
      ...(options.maxPacketLifeTime >= 0 ? { maxPacketLifeTime: options.maxPacketLifeTime } : {}),
      ...(options.maxRetransmits >= 0 ? { maxRetransmits: options.maxRetransmits } : {}),
    });
    this.watch(channel);
  }

  /** Follows a channel (ours or the peer's): its opening, closing and messages. */
  watch(channel: RTCDataChannel): void {
    const opened = (): void => {
      this.open.set(channel.id, channel);
      this.emit('dataOpened', { id: channel.id, label: channel.label });
    };
    if (channel.readyState === 'open') opened();
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') opened();
      if (state === 'closed' && this.open.delete(channel.id)) this.emit('dataClosed', { id: channel.id, label: channel.label });
    });
    channel.onMessage.subscribe((data) => {
      this.emit('data', { kind: 'DATA', label: channel.label, ordered: channel.ordered, protocol: channel.protocol, data });
    });
  }

  close(id: number): void {
    const channel = this.open.get(id);
    if (!channel) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `No data channel with id ${id}`);
    channel.close();
  }

  /** Sends a message on the open channel with its label; returns false if there is none. */
  send(message: DataMedia): boolean {
    for (const channel of this.open.values()) {
      if (channel.label === message.label && channel.readyState === 'open') {
        channel.send(message.data);
        return true;
      }
    }
    return false;
  }

  states(): DataChannelState[] {
    return [...this.open.values()].map((c) => ({
      id: c.id,
      label: c.label,
      protocol: c.protocol,
      state: c.readyState,
      messagesSent: c.messagesSent,
      bytesSent: c.bytesSent,
      messagesReceived: c.messagesReceived,
      bytesReceived: c.bytesReceived,
    }));
  }
}
