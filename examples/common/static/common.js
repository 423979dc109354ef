// Browser code shared by the examples' pages: the signalling socket and a WebRTC call built on
// kurento-utils (loaded before this module as /lib/kurento-utils.js, global `kurentoUtils`).
// Every page makes the offer; the application server answers through the media server.

/** The page's JSON signalling WebSocket (/signalling on the page's own server). */
export class Signalling {
  constructor() {
    this.handlers = new Map();
    this.socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signalling`);
    this.opened = new Promise((resolve, reject) => {
      this.socket.addEventListener('open', () => resolve());
      this.socket.addEventListener('error', () => reject(new Error('cannot reach the application server')));
    });
    /** leg name → handlers by message type, for pages with several connections. */
    this.legs = new Map();
    this.socket.addEventListener('message', ({ data }) => {
      const message = JSON.parse(data);
      if (message.leg !== undefined) {
        this.legs.get(message.leg)?.[message.type]?.(message);
        return;
      }
      const handler = this.handlers.get(message.type);
      if (handler) handler(message);
      else console.warn('unhandled message', message);
    });
    this.socket.addEventListener('close', () => this.handlers.get('closed')?.({ type: 'closed' }));
  }

  /** Sets the (single) handler of a message type; 'closed' fires when the socket closes. */
  on(type, handler) {
    this.handlers.set(type, handler);
  }

  off(type) {
    this.handlers.delete(type);
  }

  async send(message) {
    await this.opened;
    this.socket.send(JSON.stringify(message));
  }
}

const PEER_KINDS = {
  sendrecv: 'WebRtcPeerSendrecv',
  sendonly: 'WebRtcPeerSendonly',
  recvonly: 'WebRtcPeerRecvonly',
};

/**
 * One WebRTC session with the media server. Sends the offer as `offerMessage(sdpOffer)`, then
 * handles the server's 'answer' and 'iceCandidate' messages until stop(); with `leg`, only those
 * tagged with that name (a page with several sessions), and its candidates go out tagged too.
 * `direction` is 'sendrecv', 'sendonly' or 'recvonly'; video elements may be null.
 */
export function startWebRtc({ signalling, direction, localVideo, remoteVideo, offerMessage, onError, leg }) {
  const fail = onError ?? ((err) => console.error(err));
  // Server candidates can only be applied once the answer is; queue those that come first.
  let answered = false;
  const early = [];
  const addCandidate = (candidate) =>
    peer.addIceCandidate(candidate, (err) => err && fail(new Error(`addIceCandidate: ${err.message ?? err}`)));

  const handlers = {
    answer: ({ sdpAnswer }) => {
      peer.processAnswer(sdpAnswer, (err) => {
        if (err) return fail(err);
        answered = true;
        early.splice(0).forEach(addCandidate);
      });
    },
    iceCandidate: ({ candidate }) => (answered ? addCandidate(candidate) : early.push(candidate)),
  };
  // A named leg gets the messages tagged with its name; an unnamed one, the page's untagged ones.
  if (leg !== undefined) signalling.legs.set(leg, handlers);
  else for (const [type, handler] of Object.entries(handlers)) signalling.on(type, handler);

  const options = {
    localVideo: localVideo ?? undefined,
    remoteVideo: remoteVideo ?? undefined,
    onicecandidate: (candidate) => signalling.send({ type: 'iceCandidate', candidate, ...(leg !== undefined ? { leg } : {}) }),
  };
  const peer = new kurentoUtils.WebRtcPeer[PEER_KINDS[direction]](options, (err) => {
    if (err) return fail(err);
    peer.generateOffer((offerError, sdpOffer) => {
      if (offerError) return fail(offerError);
      signalling.send(offerMessage(sdpOffer));
    });
  });

  return {
    peer,
    stop() {
      if (leg !== undefined) signalling.legs.delete(leg);
      else {
        signalling.off('answer');
        signalling.off('iceCandidate');
      }
      peer.dispose();
    },
  };
}

/** Shows a status line in the page's #status element (and in the console). */
export function showStatus(text, isError = false) {
  const status = document.getElementById('status');
  if (status) {
    status.textContent = text;
    status.classList.toggle('error', isError);
  }
  (isError ? console.error : console.log)(text);
}
