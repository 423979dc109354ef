/**
 * Closing a peer connection, sockets of an interrupted ICE gathering included.
 */
import type { RTCPeerConnection } from 'werift';

/** How long a close waits for the gathering it interrupted (a STUN or TURN query may be pending). */
const GATHERING_WAIT_MS = 1000;

/**
 * setLocalDescription may still be gathering when a session closes: werift binds each candidate's
 * socket asynchronously and adds it to the ICE agent even after the agent was closed, so a socket
 * bound after the close would never be released (quick hang-ups leaked the whole port range).
 * Closing the agents again once gathering settled releases those late sockets. The close waits
 * for that only briefly: sockets that come later are closed when gathering ends.
 */
export async function closePeerConnection(pc: RTCPeerConnection, gathering: Promise<unknown>): Promise<void> {
  // Taken before the close, which stops the transceivers and so hides their transports.
  const transports = pc.iceTransports;
  await pc.close();
  const closeAgain = (): Promise<unknown> => Promise.all(transports.map((t) => t.connection.close().catch(() => undefined)));
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    gathering.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), GATHERING_WAIT_MS))),
  ]);
  clearTimeout(timer);
  await closeAgain();
  // A gathering may never settle (werift's port search can lose a bind race and wait forever):
  // what it bound so far is closed now, the rest when it settles, if ever.
  if (!settled) void gathering.then(closeAgain);
}
