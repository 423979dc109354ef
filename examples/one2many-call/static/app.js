// One-to-many page: the same page presents (sendonly) or views (recvonly).
import { Signalling, showStatus, startWebRtc } from '/common/common.js';

const $ = (id) => document.getElementById(id);
const signalling = new Signalling();
let session = null;

function setActive(active) {
  $('present').disabled = active;
  $('view').disabled = active;
  $('stop').disabled = !active;
}

function close() {
  session?.stop();
  session = null;
  setActive(false);
}

function start(role) {
  const presenting = role === 'present';
  const video = $('video');
  video.muted = presenting; // hear the presenter, not yourself
  $('caption').textContent = presenting ? 'you, as sent' : 'the presenter';
  setActive(true);
  showStatus(presenting ? 'starting to present…' : 'joining as a viewer…');
  session = startWebRtc({
    signalling,
    direction: presenting ? 'sendonly' : 'recvonly',
    localVideo: presenting ? video : null,
    remoteVideo: presenting ? null : video,
    offerMessage: (sdpOffer) => ({ type: role, sdpOffer }),
    onError: (err) => {
      showStatus(`WebRTC error: ${err.message ?? err}`, true);
      signalling.send({ type: 'stop' });
      close();
    },
  });
  session.peer.peerConnection.addEventListener('connectionstatechange', (event) => {
    showStatus(`${presenting ? 'presenting' : 'viewing'}: connection ${event.target.connectionState}`);
  });
}

signalling.on('ended', ({ reason }) => {
  close();
  showStatus(reason);
});
signalling.on('error', ({ message }) => showStatus(`server error: ${message}`, true));
signalling.on('closed', () => {
  close();
  showStatus('the application server closed the connection', true);
});

$('present').addEventListener('click', () => start('present'));
$('view').addEventListener('click', () => start('view'));
$('stop').addEventListener('click', () => {
  signalling.send({ type: 'stop' });
  close();
  showStatus('stopped');
});
