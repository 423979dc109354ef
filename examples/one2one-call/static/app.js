// One-to-one call page: register, call or be called; each side sends and receives.
import { Signalling, showStatus, startWebRtc } from '/common/common.js';

const $ = (id) => document.getElementById(id);
const signalling = new Signalling();
let registered = false;
let session = null;
let incomingFrom = null;

/** Enables the controls that make sense in the current state. */
function refresh() {
  const inCall = session !== null;
  $('name').disabled = registered;
  $('register').disabled = registered;
  $('peer').disabled = !registered || inCall;
  $('call').disabled = !registered || inCall;
  $('hangup').disabled = !inCall;
  $('incoming').hidden = incomingFrom === null;
}

function openSession(offerMessage) {
  session = startWebRtc({
    signalling,
    direction: 'sendrecv',
    localVideo: $('localVideo'),
    remoteVideo: $('remoteVideo'),
    offerMessage,
    onError: (err) => {
      showStatus(`WebRTC error: ${err.message ?? err}`, true);
      hangUp();
    },
  });
  refresh();
}

function closeSession() {
  session?.stop();
  session = null;
  incomingFrom = null;
  refresh();
}

function hangUp() {
  if (session) signalling.send({ type: 'hangup' });
  closeSession();
}

signalling.on('registered', ({ name }) => {
  registered = true;
  refresh();
  showStatus(`registered as ${name}`);
});
signalling.on('incomingCall', ({ from }) => {
  incomingFrom = from;
  $('incomingText').textContent = `${from} is calling`;
  refresh();
  showStatus(`incoming call from ${from}`);
});
signalling.on('callStarted', ({ peer }) => showStatus(`in a call with ${peer}`));
signalling.on('callEnded', ({ reason }) => {
  closeSession();
  showStatus(`call ended: ${reason}`);
});
signalling.on('error', ({ message }) => showStatus(`server error: ${message}`, true));
signalling.on('closed', () => {
  closeSession();
  showStatus('the application server closed the connection', true);
});

$('register').addEventListener('click', () => signalling.send({ type: 'register', name: $('name').value }));
$('call').addEventListener('click', () => {
  const to = $('peer').value;
  showStatus(`calling ${to}…`);
  openSession((sdpOffer) => ({ type: 'call', to, sdpOffer }));
});
$('accept').addEventListener('click', () => {
  incomingFrom = null;
  showStatus('accepting…');
  openSession((sdpOffer) => ({ type: 'accept', sdpOffer }));
});
$('decline').addEventListener('click', () => {
  incomingFrom = null;
  signalling.send({ type: 'decline' });
  refresh();
  showStatus('call declined');
});
$('hangup').addEventListener('click', () => {
  hangUp();
  showStatus('hung up');
});
