/**
 * The worker thread behind a DetectorThread: loads the detector module named in `workerData`,
 * creates the detector once, then answers each picture with its result, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

type Detect = (input: unknown) => unknown;
const { detectorModule, detectorOptions } = workerData as { detectorModule: string; detectorOptions: unknown };
const port = parentPort!;

const loaded = (await import(detectorModule.startsWith('file:') ? detectorModule : pathToFileURL(detectorModule).href)) as { default: (options: unknown) => Promise<Detect> };
const detect = await loaded.default(detectorOptions);

port.on('message', (message: { id: number; input: unknown }) => {
  const started = performance.now();
  Promise.resolve()
    .then(() => detect(message.input))
    .then(
      (result) => port.postMessage({ id: message.id, result, busyMs: performance.now() - started }),
      (err: unknown) => port.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) }),
    );
});
