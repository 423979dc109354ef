/**
 * The Java compatibility suite: test/java (JUnit 5 with the official org.kurento:kurento-client
 * 7.3.0) against a Kuroshio server started here, the way a Java application reaches it. The
 * server's URL goes in `kms.url`, the client's own system property; a second server, which knows
 * none of the first one's sessions, stands for a restarted one (`kuroshio.otherServer`). Each
 * Java test case is reported as a test of its own; on a machine without a JDK and Maven the suite
 * is skipped.
 *
 * Alone: `npm run build && node scripts/run-tests.mjs java-suite` (or, against any running
 * server, `mvn -f test/java test -Dkms.url=ws://127.0.0.1:8888/kurento`).
 */
import { test } from 'node:test';
import { join } from 'node:path';
import { startServer } from '../helpers/server-process.js';
import { javaToolsMissing, REPO_ROOT, runMaven, surefireCases } from '../helpers/maven.js';

const PROJECT = join(REPO_ROOT, 'test/java');
/** Generous for a first run, which downloads the client and JUnit from Maven Central. */
const MAVEN_TIMEOUT_MS = 8 * 60_000;

test('the official Java client against Kuroshio (test/java)', async (t) => {
  const missing = javaToolsMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const [server, other] = await Promise.all([startServer({ args: ['--workers', '1'] }), startServer({ args: ['--workers', '1'] })]);
  let run;
  try {
    run = await runMaven(PROJECT, ['clean', 'test', `-Dkms.url=${server.url}`, `-Dkuroshio.otherServer=${other.url}`], MAVEN_TIMEOUT_MS);
  } finally {
    await Promise.all([server.stop(), other.stop()]);
  }
  const cases = surefireCases(join(PROJECT, 'target/surefire-reports'));
  // Every case is registered before any is awaited: between awaited subtests the runner (with
  // --test-force-exit) can see no test left, end the process, and drop the rest unreported.
  const reported = cases.map((c) =>
    t.test(`${c.className.replace(/^io\.kuroshio\.compat\./, '')} > ${c.name}`, (sub) => {
      if (c.skipped) sub.skip(c.skipped);
      else if (c.failure) throw new Error(c.failure);
    }),
  );
  await Promise.all(reported);
  if (run.code !== 0) {
    const tail = run.output.split('\n').slice(-60).join('\n');
    throw new Error(`mvn test exited with ${String(run.code)}${cases.length === 0 ? ' before any test ran' : ''}:\n${tail}`);
  }
});
