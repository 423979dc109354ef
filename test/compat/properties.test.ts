/**
 * kurento-client@7.3.0 against Kuroshio: properties whose KMS defaults the IDL gives in prose only.
 * Their getters must answer KMS's values, not null: the Java client reads them as `int` (a null
 * there is a NullPointerException in the application) and builds RembParams from the answer.
 * test/java's PropertiesTest calls every getter the Java client generates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useKurento } from '../helpers/kurento-client.js';

const fixture = useKurento();

const REMB_DEFAULTS = {
  __module__: 'kurento',
  __type__: 'RembParams',
  packetsRecvIntervalTop: 100,
  exponentialFactor: 0.04,
  linealFactorGrade: 30,
  decrementFactor: 0.5,
  thresholdFactor: 0.8,
  upLosses: 12,
  rembOnConnect: 300000,
};

test('encoder bitrates answer KMS defaults on every element', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    for (const type of ['PassThrough', 'WebRtcEndpoint']) {
      const element = await pipeline.create(type);
      assert.equal(await element.call('getEncoderBitrate'), 300000, `${type} encoderBitrate`);
      assert.equal(await element.call('getMinEncoderBitrate'), 0, `${type} minEncoderBitrate`);
      assert.equal(await element.call('getMaxEncoderBitrate'), 0, `${type} maxEncoderBitrate`);
      await element.call('setMaxEncoderBitrate', 2000000);
      assert.equal(await element.call('getMaxEncoderBitrate'), 2000000);
    }
  } finally {
    await pipeline.release();
  }
});

test('mtu and rembParams answer KMS defaults; rembParams comes back complete and tagged', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const endpoint = await pipeline.create('WebRtcEndpoint');
    assert.equal(await endpoint.call('getMtu'), 1200);
    assert.deepEqual(await endpoint.call('getRembParams'), REMB_DEFAULTS);
    // A partial struct is completed with the type's defaults, as any decoded parameter is.
    await endpoint.call('setRembParams', { rembOnConnect: 400000, upLosses: 20 });
    assert.deepEqual(await endpoint.call('getRembParams'), { ...REMB_DEFAULTS, rembOnConnect: 400000, upLosses: 20 });
  } finally {
    await pipeline.release();
  }
});
