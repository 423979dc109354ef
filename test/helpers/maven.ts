/**
 * Running the project's Maven builds from Node tests: the Java compatibility suite (test/java) and
 * the Java example (examples/java-hello-world). Tests skip, saying why, where the machine has no
 * JDK or Maven; `.ci/run` installs both.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (this file runs from dist/test/helpers/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Why Maven builds cannot run here, or undefined when `java`, `javac` and `mvn` are all on PATH. */
export function javaToolsMissing(): string | undefined {
  const missing = ['java', 'javac', 'mvn'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  return missing.length === 0 ? undefined : `no ${missing.join(', ')} on PATH: the Java parts need a JDK 17 and Maven (.ci/run installs them)`;
}

export interface MavenRun {
  code: number | null;
  /** Everything Maven printed, standard output and error interleaved. */
  output: string;
}

/**
 * Runs `mvn` in batch mode in `projectDir` with `args` (goals and -D options). Dependencies are
 * resolved online on the first run and come from ~/.m2 afterwards. Killed after `timeoutMs`.
 */
export function runMaven(projectDir: string, args: string[], timeoutMs: number): Promise<MavenRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', ['-B', '--no-transfer-progress', '-Dstyle.color=never', ...args], {
      cwd: projectDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** One test case as Surefire reported it. */
export interface SurefireCase {
  className: string;
  name: string;
  seconds: number;
  /** The failure or error message and trace, when it did not pass. */
  failure?: string;
  skipped?: string;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

/**
 * The test cases of Surefire's XML reports in `reportsDir` (target/surefire-reports). Read with
 * patterns: the reports are machine-written, with one <testcase> element per case.
 */
export function surefireCases(reportsDir: string): SurefireCase[] {
  let files: string[];
  try {
    files = readdirSync(reportsDir).filter((f) => /^TEST-.*\.xml$/.test(f)).sort();
  } catch {
    return [];
  }
  const cases: SurefireCase[] = [];
  for (const file of files) {
    const xml = readFileSync(join(reportsDir, file), 'utf8');
    for (const match of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
      const attrs = match[1]!;
      const body = match[3] ?? '';
      const attr = (name: string): string => unescapeXml(new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1] ?? '');
      const problem = /<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
      const skipped = /<skipped\b([^>]*?)\/?>/.exec(body);
      cases.push({
        className: attr('classname'),
        name: attr('name'),
        seconds: Number(attr('time')) || 0,
        ...(problem ? { failure: unescapeXml(`${/message="([^"]*)"/.exec(problem[2]!)?.[1] ?? ''}\n${problem[3] ?? ''}`).trim() } : {}),
        ...(skipped ? { skipped: unescapeXml(/message="([^"]*)"/.exec(skipped[1]!)?.[1] ?? 'skipped') } : {}),
      });
    }
  }
  return cases;
}
