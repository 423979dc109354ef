// The page of the loopback examples (hello-world and the filter examples): the camera goes to the
// media server, through the example's filter if it has one, and comes back; the filter's events
// are listed (in #events, when the page has it); buttons with data-action call the filter.
import { Signalling, showStatus, startWebRtc } from '/common/common.js';

const signalling = new Signalling();
const startButton = document.getElementById('start');
const stopButton = document.getElementById('stop');
const events = document.getElementById('events');
const actionButtons = [...document.querySelectorAll('button[data-action]')];
let session = null;

function setRunning(running) {
  startButton.disabled = running;
  stopButton.disabled = !running;
  for (const button of actionButtons) button.disabled = !running;
}

function stop(notifyServer = true) {
  if (!session) return;
  session.stop();
  session = null;
  if (notifyServer) signalling.send({ type: 'stop' });
  setRunning(false);
}

signalling.on('error', ({ message }) => {
  showStatus(`server error: ${message}`, true);
});
signalling.on('closed', () => {
  showStatus('the application server closed the connection', true);
  stop(false);
});
signalling.on('event', ({ event, data }) => {
  if (!events) return;
  const item = document.createElement('li');
  const fields = Object.entries(data).filter(([key]) => !['source', 'tags', 'timestampMillis', 'type'].includes(key));
  item.textContent = `${new Date().toLocaleTimeString()} ${event} ${fields.map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 10) / 10 : v}`).join(' ')}`;
  events.prepend(item);
  while (events.children.length > 50) events.lastChild.remove();
});

startButton.addEventListener('click', () => {
  setRunning(true);
  showStatus('starting…');
  session = startWebRtc({
    signalling,
    direction: 'sendrecv',
    localVideo: document.getElementById('localVideo'),
    remoteVideo: document.getElementById('remoteVideo'),
    offerMessage: (sdpOffer) => ({ type: 'start', sdpOffer }),
    onError: (err) => {
      showStatus(`WebRTC error: ${err.message ?? err}`, true);
      stop();
    },
  });
  session.peer.peerConnection.addEventListener('connectionstatechange', (event) => {
    showStatus(`connection ${event.target.connectionState}`);
  });
});

stopButton.addEventListener('click', () => {
  stop();
  showStatus('stopped');
});

for (const button of actionButtons) {
  button.disabled = true;
  button.addEventListener('click', () => signalling.send({ type: 'action', action: button.dataset.action }));
}
