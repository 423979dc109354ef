/**
 * WHIP and WHEP over HTTP, without a browser: an application (raw JSON-RPC) makes a
 * WebRtcEndpoint and asks for its URL; these tests are the client, with Node's `fetch` and, for
 * a real connection, a werift peer in this process. Every refusal a client can meet (token,
 * endpoint, content type, SDP, direction, state, ETag), ICE restarts by PATCH, and that nothing crashes:
 * the server still answers a ping afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RawClient, useRawClients } from '../helpers/raw-client.js';
import { createPipeline, createWebRtcEndpoint, eventsOf, invoke, subscribe, tryInvoke } from '../helpers/webrtc-rpc.js';
import { WeriftPeer } from '../helpers/werift-peer.js';

const CHROMIUM_OFFER = readFileSync(fileURLToPath(new URL('../../../test/fixtures/sdp/chromium.sdp', import.meta.url)), 'utf8');
const TOKEN = 'app-chosen-secret';

let client: RawClient;
const fixture = useRawClients({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } }, async (f) => {
  client = await f.client();
});

/** A fresh endpoint (its pipeline released after the test) and its URL of `kind`. */
async function endpointUrl(t: { after(fn: () => Promise<unknown>): void }, kind: 'Whip' | 'Whep'): Promise<{ endpoint: string; url: string }> {
  const pipeline = await createPipeline(client);
  t.after(() => client.call('release', { object: pipeline }));
  const endpoint = await createWebRtcEndpoint(client, pipeline);
  const url = String(await invoke(client, endpoint, `get${kind}Url`, { bearerToken: TOKEN }));
  return { endpoint, url };
}

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${TOKEN}`, ...headers }, body });
}

function patch(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', authorization: `Bearer ${TOKEN}`, ...headers }, body });
}

/** The offer with every media line's direction replaced. */
function withDirection(sdp: string, direction: string): string {
  return sdp.replace(/a=(sendrecv|sendonly|recvonly)/g, `a=${direction}`);
}

async function assertStatus(response: Response, status: number, reason?: RegExp): Promise<string> {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${text}`);
  if (reason) assert.match(text, reason);
  return text;
}

async function assertServerAlive(): Promise<void> {
  await client.barrier();
  const health = await fetch(`http://127.0.0.1:${fixture.server.port}/health`);
  assert.equal(health.status, 200);
}

test('getWhipUrl/getWhepUrl: a URL on the WebSocket port; an empty token is refused', async (t) => {
  const { endpoint, url } = await endpointUrl(t, 'Whip');
  assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${fixture.server.port}/whip/[0-9a-f-]{36}$`));
  const whep = String(await invoke(client, endpoint, 'getWhepUrl', { bearerToken: 'other' }));
  assert.equal(whep, url.replace('/whip/', '/whep/'));
  const empty = await tryInvoke(client, endpoint, 'getWhipUrl', { bearerToken: '' });
  assert.equal(empty.error?.code, 40107, JSON.stringify(empty));
  assert.match(String(empty.error?.message), /bearer token/);
});

test('refusals: 401 without or with a wrong token, 404 unknown endpoint, 415 wrong type, 400 bad SDP, 422 wrong direction', async (t) => {
  const { url } = await endpointUrl(t, 'Whip');
  const { url: whepUrl } = await endpointUrl(t, 'Whep');

  const none = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: CHROMIUM_OFFER });
  await assertStatus(none, 401, /bearer token is required/);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  const wrong = await post(url, CHROMIUM_OFFER, { authorization: 'Bearer nope' });
  await assertStatus(wrong, 401, /Wrong bearer token/);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /invalid_token/);

  await assertStatus(await post(url.replace(/[0-9a-f-]{36}$/, '00000000-0000-0000-0000-000000000000'), CHROMIUM_OFFER), 404);
  await assertStatus(await post(url, CHROMIUM_OFFER, { 'content-type': 'text/plain' }), 415, /application\/sdp/);
  await assertStatus(await post(url, 'hello, server'), 400, /not an SDP offer/);
  // SDP text the endpoint cannot negotiate (no ICE credentials or fingerprint): its own reason.
  const truncated = CHROMIUM_OFFER.split('\n').filter((l) => !/ice-ufrag|ice-pwd|fingerprint/.test(l)).join('\n');
  const refused = await assertStatus(await post(url, truncated), 400);
  t.diagnostic(`truncated offer refused: ${refused.trim()}`);
  await assertStatus(await post(url, withDirection(CHROMIUM_OFFER, 'recvonly')), 422, /WHIP offer must send/);
  await assertStatus(await post(whepUrl, withDirection(CHROMIUM_OFFER, 'sendonly')), 422, /WHEP offer must receive/);
  await assertStatus(await fetch(url, { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } }), 405);
  // A refused offer leaves the endpoint ready for a good one.
  await assertStatus(await post(url, CHROMIUM_OFFER), 201);
  await assertServerAlive();
});

test('CORS: preflights answered for any WHIP path, headers a page needs exposed', async (t) => {
  const { url } = await endpointUrl(t, 'Whip');
  const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.equal(preflight.headers.get('accept-post'), 'application/sdp');
  const created = await post(url, CHROMIUM_OFFER);
  await assertStatus(created, 201);
  assert.match(created.headers.get('access-control-expose-headers') ?? '', /Location/);
  assert.match(created.headers.get('access-control-expose-headers') ?? '', /ETag/);
});

test('POST → 201 with answer, candidates, Location and ETag; PATCH trickles (204), restarts ICE (200, new ETag); DELETE → 200, then 404', async (t) => {
  const { endpoint, url } = await endpointUrl(t, 'Whip');
  const created = await post(url, CHROMIUM_OFFER);
  const answer = await assertStatus(created, 201);
  assert.equal(created.headers.get('content-type'), 'application/sdp');
  assert.match(answer, /^v=0\r?\n/);
  assert.match(answer, /a=candidate:/, 'the endpoint gathered before answering, so the answer carries its candidates');
  const location = created.headers.get('location');
  const etag = created.headers.get('etag');
  assert.ok(location && etag, `Location ${location}, ETag ${etag}`);
  assert.match(location, /^\/whip\/[0-9a-f-]{36}\/[\w-]+$/);
  const resource = new URL(location, url).href;

  await assertStatus(await post(url, CHROMIUM_OFFER), 409, /already negotiated/);
  const frag = 'a=ice-ufrag:Qz7a\r\na=ice-pwd:v3JqkE9u0M2rL5pXw8YbTn4c\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\na=end-of-candidates\r\n';
  await assertStatus(await patch(resource, frag, { 'if-match': etag }), 204);
  await assertStatus(await patch(resource, frag), 204);
  await assertStatus(await patch(resource, frag, { 'content-type': 'application/sdp' }), 415);
  await assertStatus(await patch(resource, frag, { 'if-match': '"stale"' }), 412);
  // ICE restart (RFC 9725 §4.3.2): new credentials with If-Match "*" → 200, the endpoint's new
  // credentials (and candidates) as a fragment, a new ETag; the old one is then stale.
  await assertStatus(await patch(resource, 'a=candidate:1 1 udp 1 127.0.0.1 1 typ host\r\n', { 'if-match': '*' }), 400, /needs a new a=ice-ufrag/);
  const restarted = await patch(resource, frag.replace('ice-ufrag:Qz7a', 'ice-ufrag:NEW1').replace('ice-pwd:v3Jq', 'ice-pwd:w4Kr'), { 'if-match': '*' });
  const restartFrag = await assertStatus(restarted, 200);
  assert.equal(restarted.headers.get('content-type'), 'application/trickle-ice-sdpfrag');
  assert.notEqual(restarted.headers.get('etag'), etag);
  assert.match(restartFrag, /^a=ice-ufrag:\S+\r\na=ice-pwd:\S+\r\nm=audio 9 /);
  assert.notEqual(/a=ice-ufrag:(\S+)/.exec(restartFrag)![1], /a=ice-ufrag:(\S+)/.exec(answer)![1], 'new local credentials');
  assert.match(restartFrag, /a=candidate:/, 'the new gathering\'s candidates');
  await assertStatus(await patch(resource, frag, { 'if-match': etag }), 412);
  await assertStatus(await patch(resource, frag.replace('ice-ufrag:Qz7a', 'ice-ufrag:NEW1').replace('ice-pwd:v3Jq', 'ice-pwd:w4Kr'), { 'if-match': restarted.headers.get('etag')! }), 204);
  await assertStatus(await patch(resource, 'a=candidate:broken\r\n'), 400, /malformed candidate/);
  // Candidates of the right shape with nonsense in every field reach the endpoint's ICE agent:
  // refused or ignored there, never a crash of the worker.
  for (const nonsense of ['a=candidate:x y tcp -1 999.999.1.1 99999 typ host', 'a=candidate:1 1 udp 1 ::ffff:zz 0 typ relay raddr x rport y', `a=candidate:${'9'.repeat(400)} 1 udp 1 127.0.0.1 1 typ host`]) {
    const answered = await patch(resource, `m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n${nonsense}\r\n`);
    t.diagnostic(`${nonsense.slice(0, 50)}…: ${answered.status} ${(await answered.text()).trim()}`);
    assert.ok(answered.status === 204 || answered.status === 400, `status ${answered.status}`);
  }
  assert.equal(await invoke(client, endpoint, 'getConnectionState'), 'DISCONNECTED', 'the worker still answers');
  await assertStatus(await patch(resource, frag, { authorization: 'Bearer nope' }), 401);

  await assertStatus(await fetch(resource, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } }), 200);
  await assertStatus(await fetch(resource, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } }), 404);
  await assertStatus(await patch(resource, frag), 404);
  // The element is still the application's.
  assert.equal(await invoke(client, endpoint, 'getConnectionState'), 'DISCONNECTED');
  await assertServerAlive();
});

test('a released endpoint answers 404; garbage bodies never crash anything', async (t) => {
  const { endpoint, url } = await endpointUrl(t, 'Whep');
  await assertStatus(await post(url, 'v=0\r\n' + 'x'.repeat(200_000)), 413);
  await assertStatus(await post(url, '\u0000\u0001\u0002'), 400);
  await assertStatus(await post(url, 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n'), 400);
  await client.call('release', { object: endpoint });
  await assertStatus(await post(url, CHROMIUM_OFFER), 404);
  await assertServerAlive();
});

test('a werift client publishes over WHIP with trickled candidates, restarts ICE by PATCH (200, a new pair); DELETE disconnects it and the element stays', async (t) => {
  const { endpoint, url } = await endpointUrl(t, 'Whip');
  await subscribe(client, endpoint, ['ConnectionStateChanged', 'MediaSessionTerminated']);
  const peer = new WeriftPeer();
  t.after(() => peer.pc.close());
  // Trickle: the offer leaves before gathering ends; candidates follow by PATCH.
  const offer = await peer.offer({ audio: 'sendonly', video: 'sendonly' }, false);
  const created = await post(url, offer);
  const answer = await assertStatus(created, 201);
  const resource = new URL(created.headers.get('location')!, url).href;
  await peer.acceptAnswer(answer);
  await peer.gatheringComplete();
  const local = peer.pc.localDescription!.sdp;
  const mid = /a=mid:(\S+)/.exec(local)![1]!;
  const candidates = local.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
  assert.ok(candidates.length > 0, 'the peer gathered candidates');
  const frag = `m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\n${candidates.join('\r\n')}\r\na=end-of-candidates\r\n`;
  await assertStatus(await patch(resource, frag, { 'if-match': created.headers.get('etag')! }), 204);
  const startedAt = Date.now();
  await peer.waitConnected();
  await client.waitForEvent('ConnectionStateChanged', endpoint, 10_000);
  t.diagnostic(`connected ${Date.now() - startedAt} ms after the PATCH`);

  // An ICE restart through WHIP: the client's new credentials and candidates by PATCH, the
  // endpoint's back in the 200's fragment; the peer checks and nominates a new pair.
  await subscribe(client, endpoint, ['NewCandidatePairSelected']);
  const pairBefore = peer.pc.iceTransports[0]!.connection.nominated;
  const restartOffer = await peer.restartIce();
  const creds = restartOffer.split(/\r?\n/).filter((l) => /^a=ice-(ufrag|pwd):/.test(l)).slice(0, 2);
  const restartCandidates = restartOffer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
  const restarted = await patch(resource, `${creds.join('\r\n')}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\n${restartCandidates.join('\r\n')}\r\na=end-of-candidates\r\n`, { 'if-match': '*' });
  const restartFrag = await assertStatus(restarted, 200);
  const ufrag = /a=ice-ufrag:(\S+)/.exec(restartFrag)![1]!;
  const pwd = /a=ice-pwd:(\S+)/.exec(restartFrag)![1]!;
  assert.notEqual(ufrag, /a=ice-ufrag:(\S+)/.exec(answer)![1]);
  const restartedAt = Date.now();
  await peer.acceptRestartAnswer(answer.replace(/a=ice-ufrag:\S+/g, `a=ice-ufrag:${ufrag}`).replace(/a=ice-pwd:\S+/g, `a=ice-pwd:${pwd}`).replace(/a=candidate:.*\r\n/g, '').replace(/a=end-of-candidates\r\n/g, ''));
  for (const line of restartFrag.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'))) await peer.addCandidate({ candidate: line.slice(2), sdpMid: mid, sdpMLineIndex: 0 });
  // Subscribed just before the restart: the first NewCandidatePairSelected is the new pair's.
  await client.waitFor((m) => m.method === 'onEvent' && m.params.value.object === endpoint && m.params.value.type === 'NewCandidatePairSelected', 10_000, true);
  const pairAfter = peer.pc.iceTransports[0]!.connection.nominated;
  assert.ok(pairAfter && pairAfter !== pairBefore, 'the peer nominated a pair of the new generation');
  t.diagnostic(`WHIP ICE restart: a new pair ${Date.now() - restartedAt} ms after the 200`);
  assert.equal(await invoke(client, endpoint, 'getConnectionState'), 'CONNECTED');

  await assertStatus(await fetch(resource, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } }), 200);
  // The worker raised the events before answering the DELETE; a ping brings them all to the client.
  await client.barrier();
  const states = eventsOf(client, endpoint).filter((e) => e.type === 'ConnectionStateChanged').map((e) => e.data.newState);
  assert.deepEqual(states, ['CONNECTED', 'DISCONNECTED']);
  assert.ok(eventsOf(client, endpoint).some((e) => e.type === 'MediaSessionTerminated'), 'MediaSessionTerminated raised');
  assert.equal(await invoke(client, endpoint, 'getConnectionState'), 'DISCONNECTED');
  await assertServerAlive();
});
