// Hello world page: one sendrecv WebRTC session whose media the server loops back.
import { Signalling, showStatus, startWebRtc } from '/common/common.js';

const signalling = new Signalling();
const startButton = document.getElementById('start');
const stopButton = document.getElementById('stop');
let session = null;

function setRunning(running) {
  startButton.disabled = running;
  stopButton.disabled = !running;
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
  stop(false);
});
signalling.on('closed', () => {
  showStatus('the application server closed the connection', true);
  stop(false);
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
