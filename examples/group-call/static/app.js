// Group call page: one sendrecv connection of our own (in MCU mode it also brings the room's
// grid), and in SFU mode one receiving connection per other participant, named by their id.
import { Signalling, showStatus, startWebRtc } from '/common/common.js';

const $ = (id) => document.getElementById(id);
const signalling = new Signalling();
let main = null;
/** sender id → { session, figure } of the connections receiving the others (SFU mode). */
const receiving = new Map();

function setJoined(joined) {
  $('join').disabled = joined;
  $('leave').disabled = !joined;
  $('mode').disabled = !joined;
}

function showMode(mode) {
  $('mode').value = mode;
  $('gridFigure').hidden = mode !== 'mcu';
}

function stopReceiving(id) {
  const entry = receiving.get(id);
  if (!entry) return;
  receiving.delete(id);
  entry.session.stop();
  entry.figure.remove();
}

function startReceiving(id) {
  const figure = document.createElement('figure');
  figure.className = 'participant';
  figure.dataset.id = id;
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  const caption = document.createElement('figcaption');
  caption.textContent = `participant ${id}`;
  figure.append(video, caption);
  $('videos').append(figure);
  const session = startWebRtc({
    signalling,
    leg: id,
    direction: 'recvonly',
    localVideo: null,
    remoteVideo: video,
    offerMessage: (sdpOffer) => ({ type: 'receive', leg: id, sdpOffer }),
    onError: (err) => showStatus(`receiving ${id}: ${err.message ?? err}`, true),
  });
  receiving.set(id, { session, figure });
}

function leave() {
  for (const id of [...receiving.keys()]) stopReceiving(id);
  main?.stop();
  main = null;
  setJoined(false);
}

signalling.on('joined', ({ id, mode }) => {
  showMode(mode);
  showStatus(`in the room as participant ${id} (${mode.toUpperCase()})`);
});
signalling.on('mode', ({ mode }) => {
  showMode(mode);
  showStatus(`the room switched to ${mode.toUpperCase()}`);
});
signalling.on('streams', ({ ids }) => {
  for (const id of [...receiving.keys()]) if (!ids.includes(id)) stopReceiving(id);
  for (const id of ids) if (!receiving.has(id)) startReceiving(id);
});
signalling.on('error', ({ message }) => showStatus(`server error: ${message}`, true));
signalling.on('closed', () => {
  leave();
  showStatus('the application server closed the connection', true);
});

$('join').addEventListener('click', () => {
  setJoined(true);
  showStatus('joining…');
  main = startWebRtc({
    signalling,
    direction: 'sendrecv',
    localVideo: $('local'),
    remoteVideo: $('grid'),
    offerMessage: (sdpOffer) => ({ type: 'join', sdpOffer }),
    onError: (err) => {
      showStatus(`WebRTC error: ${err.message ?? err}`, true);
      signalling.send({ type: 'leave' });
      leave();
    },
  });
});
$('leave').addEventListener('click', () => {
  signalling.send({ type: 'leave' });
  leave();
  showStatus('left the room');
});
$('mode').addEventListener('change', () => signalling.send({ type: 'mode', mode: $('mode').value }));
