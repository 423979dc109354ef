/**
 * The deployment recipes stay true to the README: the Dockerfile builds with the README's
 * commands (`npm ci && npm start`, whose start is the build then the server) on the packages the
 * README names, runs as a non-root user, checks /ready; docker-compose runs it with coturn; and the
 * systemd unit's command, run from this checkout, starts a server that answers the Kurento
 * Protocol and stops cleanly on the unit's signal. (No Docker engine here: the image is not built.)
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { KurentoClient } from 'kuroshio-client';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The README's set-up commands: its `sh` block under "Run it", split on `&&`, with `npm start` expanded. */
function readmeCommands(): string[] {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('## Run it'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'README has a sh block under "Run it"');
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const expand = (command: string): string[] => {
    const run = /^npm (?:run )?(start|build|test)$/.exec(command);
    if (run && run[1] === 'start') return scripts.start!.split('&&').map((c) => c.trim()).flatMap(expand);
    return [command];
  };
  return block.trim().split('&&').map((c) => c.trim()).flatMap(expand);
}

/** Logical lines of the Dockerfile (continuations joined), without comments. */
function dockerfile(): { instruction: string; args: string }[] {
  return read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => ({ instruction: l.split(/\s+/, 1)[0]!.toUpperCase(), args: l.slice(l.indexOf(' ') + 1).trim() }));
}

test("the Dockerfile builds and runs with the README's commands", () => {
  const expected = readmeCommands();
  assert.deepEqual(expected, ['npm ci', 'npm run build', 'node dist/src/cli.js']);
  const lines = dockerfile();
  const npmRuns = lines.filter((l) => l.instruction === 'RUN' && l.args.startsWith('npm ')).map((l) => l.args);
  const cmd = JSON.parse(lines.find((l) => l.instruction === 'CMD')!.args) as string[];
  assert.deepEqual([...npmRuns, cmd.join(' ')], expected);
  assert.match(lines.find((l) => l.instruction === 'FROM')!.args, /^node:20-bookworm/, 'Debian 12 with Node 20');
  // The packages the README says `npm ci` needs are installed before it.
  const readmeNeeds = /\(and (.+?), which `npm ci` uses/.exec(read('README.md').replace(/\n/g, ' '))?.[1];
  assert.ok(readmeNeeds);
  const apt = lines.find((l) => l.instruction === 'RUN' && l.args.includes('apt-get install'))!.args;
  const installed = apt.split(/\s+/);
  for (const pkg of readmeNeeds.match(/`([\w+.-]+)`/g)!.map((p) => p.replace(/`/g, ''))) assert.ok(installed.includes(pkg), `the Dockerfile installs ${pkg}`);
  const users = lines.filter((l) => l.instruction === 'USER').map((l) => l.args);
  assert.equal(users.at(-1), 'node', 'runs as a non-root user');
  assert.match(lines.find((l) => l.instruction === 'HEALTHCHECK')!.args, /\/ready/);
  for (const name of ['KMS_MIN_PORT', 'KMS_MAX_PORT', 'KMS_STUN_IP', 'KMS_STUN_PORT', 'KMS_TURN_URL', 'KMS_EXTERNAL_IPV4', 'KMS_NETWORK_INTERFACES', 'KMS_ICE_TCP']) {
    assert.ok(lines.some((l) => l.instruction === 'ENV' && l.args.includes(`${name}=`)), `ENV ${name}`);
  }
});

test('--help documents every option the README lists', () => {
  const help = spawnSync(process.execPath, [join(root, 'dist/src/cli.js'), '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  const options = [...read('README.md').matchAll(/^\| `(--[\w-]+)` \|/gm)].map((m) => m[1]!);
  assert.ok(options.includes('--kurento-config') && options.includes('--console'));
  for (const option of options) assert.ok(help.stdout.includes(option), `--help mentions ${option}`);
});

test('docker-compose runs Kuroshio with coturn, pointing Kuroshio at it', () => {
  const compose = read('docker-compose.yml');
  assert.match(compose, /^ {2}kuroshio:\n {4}build: \.$/m);
  assert.match(compose, /^ {2}coturn:\n {4}image: coturn\/coturn/m);
  assert.match(compose, /KMS_TURN_URL: ".*@\$\{EXTERNAL_IP\}:3478/);
  assert.match(compose, /--listening-port=3478/);
});

test("the systemd unit's command starts the server, which answers and stops on the unit's signal", async () => {
  const unit = read('deploy/kuroshio.service');
  const value = (key: string): string => new RegExp(`^${key}=(.+)$`, 'm').exec(unit)![1]!.trim();
  const workingDirectory = value('WorkingDirectory');
  const [executable, ...args] = value('ExecStart').replaceAll(workingDirectory, root.replace(/\/$/, '')).split(/\s+/);
  assert.equal(executable, '/usr/bin/node');
  // On a free loopback port, so the test does not need the machine's 8888.
  const child = spawn(executable!, [...args, '--port', '0', '--host', '127.0.0.1', '--workers', '1'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let log = '';
    child.stderr!.setEncoding('utf8');
    const listening = new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (chunk: string) => {
        log += chunk;
        const url = /"msg":"Kuroshio listening","url":"([^"]+)"/.exec(log)?.[1];
        if (url) resolve(url);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${String(code)}: ${log}`)));
      setTimeout(() => reject(new Error(`not listening after 20 s: ${log}`)), 20_000).unref();
    });
    const url = await listening;
    const client = await KurentoClient.connect(url);
    const pipeline = await client.create('MediaPipeline');
    assert.equal((await client.getServerManager().getPipelines()).length, 1);
    await pipeline.release();
    client.close();
    assert.equal((await fetch(url.replace('ws:', 'http:').replace(/\/kurento$/, '/ready'))).status, 200);
    const exited = once(child, 'exit');
    child.kill(value('KillSignal') as NodeJS.Signals);
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
