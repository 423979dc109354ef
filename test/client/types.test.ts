/**
 * The typed client's types do their job: `tsc --noEmit` over the examples (which use
 * kuroshio-client) passes, the same checks over correct calls pass, and deliberately wrong calls
 * — an unknown method, a parameter of the wrong type, a missing constructor parameter, an unknown
 * event, a wrong event field, an unknown class — each fail to compile where they are.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = join(root, 'node_modules/.bin/tsc');

function compile(project: string): { status: number | null; output: string } {
  const run = spawnSync(tsc, ['--noEmit', '-p', project], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test('tsc --noEmit over the examples passes', () => {
  const { status, output } = compile(join(root, 'examples/tsconfig.json'));
  assert.equal(status, 0, output);
});

const PRELUDE = `import { KurentoClient } from 'kuroshio-client';
const client = await KurentoClient.connect('ws://localhost:8888/kurento');
const pipeline = await client.create('MediaPipeline');
const endpoint = await client.create('WebRtcEndpoint', { mediaPipeline: pipeline });
`;

/** Each wrong call, on its own line, with the error tsc must give for it. */
const WRONG: { line: string; error: RegExp }[] = [
  { line: 'await endpoint.processOffer(42);', error: /TS2345/ },
  { line: 'await endpoint.procesOffer("v=0");', error: /TS2551|TS2339/ },
  { line: "await client.create('WebRtcEndpoint', {});", error: /TS2345|TS2741/ },
  { line: "await client.create('NoSuchEndpoint');", error: /TS2345|TS2769/ },
  { line: "await endpoint.on('NoSuchEvent', () => undefined);", error: /TS2345/ },
  { line: "await endpoint.on('IceCandidateFound', (e) => e.candidate.sdpMLineIndex.toUpperCase());", error: /TS2339/ },
  { line: "const n: number = await endpoint.getStunServerAddress();", error: /TS2322/ },
  { line: "await endpoint.connect(endpoint, 'SOUND');", error: /TS2345/ },
];

test('correct calls compile, and each deliberately wrong call fails to', () => {
  const dir = join(root, 'dist/client-type-test');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const tsconfig = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['*.ts'] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(dir, 'right.ts'),
      `${PRELUDE}const answer: string = await endpoint.processOffer('v=0');
await endpoint.on('IceCandidateFound', (e) => e.candidate.sdpMid.toUpperCase());
await endpoint.connect(endpoint, 'VIDEO');
const address: string = await endpoint.getStunServerAddress();
const parent = await endpoint.getMediaPipeline();
await parent.release();
export { answer, address };
`,
    );
    const right = compile(join(dir, 'tsconfig.json'));
    assert.equal(right.status, 0, right.output);
    writeFileSync(join(dir, 'wrong.ts'), `${PRELUDE}${WRONG.map((w) => w.line).join('\n')}\nexport {};\n`);
    const wrong = compile(join(dir, 'tsconfig.json'));
    assert.notEqual(wrong.status, 0);
    const preludeLines = PRELUDE.split('\n').length - 1;
    WRONG.forEach((w, i) => {
      const at = new RegExp(`wrong\\.ts\\(${preludeLines + i + 1},\\d+\\): error (TS\\d+)`);
      const found = wrong.output.split('\n').filter((l) => at.test(l));
      assert.ok(found.length > 0, `no error for line ${preludeLines + i + 1} (${w.line}):\n${wrong.output}`);
      assert.ok(found.some((l) => w.error.test(l)), `unexpected error for ${w.line}: ${found.join('\n')}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
