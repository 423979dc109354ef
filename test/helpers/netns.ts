/**
 * A test host of our own: a network namespace joined to this one by a veth pair, whose link
 * from here can be shaped with `tc` (what the media server sends to a peer inside it). Needs root;
 * `available()` says whether this machine lets us make one.
 *
 * A Chromium runs inside it through `chromiumPath` (a wrapper that enters the namespace); pages
 * are loaded through Playwright's request interception from this side, so they keep their
 * http://127.0.0.1 origin and the namespace needs no route to the page server.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CHROMIUM_PATH } from './browser.js';

const run = promisify(execFile);

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

export class TestHost {
  private constructor(
    readonly name: string,
    /** The veth end on this side, and its address (the media server announces it). */
    readonly hostInterface: string,
    readonly hostAddress: string,
    private readonly dir: string,
    readonly chromiumPath: string,
  ) {}

  static async available(): Promise<boolean> {
    if (process.getuid?.() !== 0) return false;
    try {
      await run('ip', ['netns', 'list']);
      await run('tc', ['-V']);
      return true;
    } catch {
      return false;
    }
  }

  static async create(): Promise<TestHost> {
    // Names and a /30 unique to this process, so parallel test files do not collide.
    const n = process.pid % 250;
    const name = `kuro${process.pid}`;
    const hostIf = `kv${process.pid}a`;
    const nsIf = `kv${process.pid}b`;
    const hostAddress = `10.${200 + (Math.floor(process.pid / 250) % 50)}.${n}.1`;
    const nsAddress = hostAddress.replace(/\.1$/, '.2');
    await ip('netns', 'add', name);
    try {
      await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
      await ip('link', 'set', nsIf, 'netns', name);
      await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf);
      await ip('link', 'set', hostIf, 'up');
      await ip('netns', 'exec', name, 'ip', 'addr', 'add', `${nsAddress}/30`, 'dev', nsIf);
      await ip('netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up');
      await ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
      const dir = await mkdtemp(join(tmpdir(), 'kuroshio-netns-'));
      const chromiumPath = join(dir, 'chromium');
      await writeFile(chromiumPath, `#!/bin/sh\nexec ip netns exec ${name} ${CHROMIUM_PATH} "$@"\n`);
      await chmod(chromiumPath, 0o755);
      return new TestHost(name, hostIf, hostAddress, dir, chromiumPath);
    } catch (err) {
      await run('ip', ['link', 'del', hostIf]).catch(() => undefined);
      await ip('netns', 'del', name);
      throw err;
    }
  }

  /** Limits what reaches the namespace to `kbit` kbit/s (a token bucket with a 200 ms queue). */
  async limit(kbit: number): Promise<void> {
    await run('tc', ['qdisc', 'replace', 'dev', this.hostInterface, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '8kb', 'latency', '200ms']);
  }

  /** Limits what leaves the namespace (its uplink) the same way. */
  async limitUplink(kbit: number): Promise<void> {
    await ip('netns', 'exec', this.name, 'tc', 'qdisc', 'replace', 'dev', this.nsInterface, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '8kb', 'latency', '200ms');
  }

  /** The veth end inside the namespace. */
  get nsInterface(): string {
    return this.hostInterface.replace(/a$/, 'b');
  }

  async unlimit(): Promise<void> {
    await run('tc', ['qdisc', 'del', 'dev', this.hostInterface, 'root']).catch(() => undefined);
  }

  async close(): Promise<void> {
    await run('ip', ['link', 'del', this.hostInterface]).catch(() => undefined);
    await ip('netns', 'del', this.name).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
