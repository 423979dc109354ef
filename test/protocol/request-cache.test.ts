/**
 * The duplicate-request cache on its own: a repeated request within the TTL gets the stored
 * answer, and the cache stays bounded however fast requests come — per session (its latest
 * answers, the ones a retry could concern) and in total.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestCache } from '../../src/session/request-cache.js';

test('an answer is kept for the TTL under (session, id); 5 and "5" are the same request', () => {
  const cache = new RequestCache<string>(1000);
  cache.put('s', 5, 'first', 0);
  cache.put('s', '5', 'second', 10);
  assert.equal(cache.get('s', '5', 500), 'first');
  assert.equal(cache.get('t', 5, 500), undefined);
  assert.equal(cache.get('s', 5, 1000), undefined, 'expired');
  assert.equal(cache.size, 0);
});

test('a session keeps its latest answers only; other sessions keep theirs', () => {
  const cache = new RequestCache<number>(60_000, { perSession: 3, total: 100 });
  for (let id = 0; id < 10; id++) cache.put('flood', id, id, 0);
  cache.put('calm', 'a', -1, 0);
  assert.deepEqual([...Array(10).keys()].map((id) => cache.get('flood', id, 1)), [undefined, undefined, undefined, undefined, undefined, undefined, undefined, 7, 8, 9]);
  assert.equal(cache.get('calm', 'a', 1), -1);
  assert.equal(cache.size, 4);
});

test('the whole cache keeps its latest answers only, and expiry still sweeps what is left', () => {
  const cache = new RequestCache<number>(1000, { perSession: 10, total: 5 });
  for (let i = 0; i < 8; i++) cache.put(`session-${i}`, 1, i, i);
  assert.equal(cache.size, 5);
  assert.equal(cache.get('session-2', 1, 100), undefined);
  assert.equal(cache.get('session-3', 1, 100), 3);
  cache.put('late', 1, 99, 2000); // sweeps everything expired
  assert.equal(cache.size, 1);
});
