/**
 * One-to-one video call: users register under a name; one calls another, who accepts or declines.
 * An accepted call gets one pipeline with a WebRtcEndpoint per user, connected both ways, so each
 * sees and hears the other through the media server.
 *
 *   node dist/examples/one2one-call/server.js --ws_uri=ws://localhost:8888/kurento --port 8443
 *
 * Signalling (besides the shared 'answer', 'iceCandidate' and 'error'):
 *   browser → server: register {name} · call {to, sdpOffer} · accept {sdpOffer} · decline · hangup
 *   server → browser: registered {name} · incomingCall {from} · callStarted {peer} · callEnded {reason}
 */
import type { MediaPipeline, WebRtcEndpoint } from 'kuroshio-client';
import { candidateField, runExample, stringField, type Browser, type Message } from '../common/app-server.js';
import { BrowserLeg } from '../common/browser-leg.js';
import { KuroshioConnection, candidatesOf } from '../common/kuroshio.js';

interface User {
  name: string;
  browser: Browser;
  leg: BrowserLeg<WebRtcEndpoint>;
  /** The call this user is in, or is setting up. */
  call: Call | undefined;
}

interface Call {
  caller: User;
  callee: User;
  /** The caller's offer, kept until the callee accepts. */
  callerOffer: string;
  /** Set once accepted; released when the call ends. */
  pipeline: MediaPipeline | undefined;
}

/** Registered users by name. */
const users = new Map<string, User>();

const otherParty = (call: Call, user: User): User => (call.caller === user ? call.callee : call.caller);

/** Ends `user`'s call (if any) for both parties; `reason` is shown to the other one. */
async function endCall(user: User, reason: string): Promise<void> {
  const call = user.call;
  if (!call) return;
  const other = otherParty(call, user);
  for (const party of [call.caller, call.callee]) {
    party.call = undefined;
    party.leg.reset();
  }
  other.browser.send({ type: 'callEnded', reason });
  await call.pipeline?.release();
}

async function startCall(call: Call, calleeOffer: string, media: KuroshioConnection): Promise<void> {
  const { caller, callee } = call;
  const pipeline = await media.createPipeline();
  if (callee.call !== call) {
    // Hung up while the pipeline was being created.
    await pipeline.release();
    return;
  }
  call.pipeline = pipeline;
  const callerCreated = await media.createWebRtcEndpoint(call.pipeline);
  const calleeCreated = await media.createWebRtcEndpoint(call.pipeline);
  const callerEndpoint = await caller.leg.open(callerCreated, candidatesOf(callerCreated));
  const calleeEndpoint = await callee.leg.open(calleeCreated, candidatesOf(calleeCreated));
  await callerEndpoint.connect(calleeEndpoint);
  await calleeEndpoint.connect(callerEndpoint);
  await callee.leg.negotiate(calleeOffer);
  await caller.leg.negotiate(call.callerOffer);
  caller.browser.send({ type: 'callStarted', peer: callee.name });
  callee.browser.send({ type: 'callStarted', peer: caller.name });
}

await runExample({
  name: 'one2one-call',
  staticDir: new URL('./static/', import.meta.url),
  openMedia: (wsUri, log) => new KuroshioConnection(wsUri, log),
  connect(browser, media) {
    let me: User | undefined;

    const registered = (message: Message): User => {
      if (!me) throw new Error(`register before '${message.type}'`);
      return me;
    };

    return {
      messages: {
        register(message) {
          const name = stringField(message, 'name').trim();
          if (me) throw new Error(`already registered as ${me.name}`);
          if (users.has(name)) throw new Error(`the name ${name} is taken`);
          me = { name, browser, leg: new BrowserLeg<WebRtcEndpoint>(browser), call: undefined };
          users.set(name, me);
          browser.log(`registered as ${name}`);
          browser.send({ type: 'registered', name });
        },

        call(message) {
          const caller = registered(message);
          const to = stringField(message, 'to');
          const callee = users.get(to);
          if (caller.call) throw new Error('you are already in a call');
          if (!callee || callee === caller) {
            browser.send({ type: 'callEnded', reason: `${to} is not registered` });
            return;
          }
          if (callee.call) {
            browser.send({ type: 'callEnded', reason: `${to} is busy` });
            return;
          }
          const call: Call = { caller, callee, callerOffer: stringField(message, 'sdpOffer'), pipeline: undefined };
          caller.call = call;
          callee.call = call;
          callee.browser.send({ type: 'incomingCall', from: caller.name });
        },

        async accept(message) {
          const callee = registered(message);
          const call = callee.call;
          if (!call || call.callee !== callee || call.pipeline) throw new Error('there is no call to accept');
          try {
            await startCall(call, stringField(message, 'sdpOffer'), media);
          } catch (err) {
            await endCall(callee, 'the call could not be set up');
            throw err;
          }
        },

        async decline(message) {
          const callee = registered(message);
          if (callee.call?.callee === callee && !callee.call.pipeline) await endCall(callee, `${callee.name} declined the call`);
        },

        async hangup(message) {
          const user = registered(message);
          await endCall(user, `${user.name} hung up`);
        },

        // Only a registered user can be in a call; anyone else's candidates have nowhere to go.
        iceCandidate: (message) => me?.leg.addRemoteCandidate(candidateField(message)),
      },

      async closed() {
        if (!me) return;
        users.delete(me.name);
        await endCall(me, `${me.name} left`);
      },
    };
  },
});
