/**
 * file:// URIs read the way the file system reads paths: dot segments stay for the kernel, and a
 * path is inside a folder only once symbolic links and `..` were resolved by the file system.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filePathOf, fileUriOf, isInside } from '../../src/codec/file-uri.js';
import { absoluteUri } from '../../src/elements/uri-endpoint.js';

test('the path of a file URI keeps its dot segments and is percent-decoded', () => {
  assert.equal(filePathOf('file:///rec/missing-sub/../../x.webm'), '/rec/missing-sub/../../x.webm');
  assert.equal(filePathOf('file://localhost/a%20b/c.webm?x=1#y'), '/a b/c.webm');
  assert.equal(filePathOf('file:/a/100%.webm'), '/a/100%.webm');
  assert.equal(fileUriOf('/a b/../c#.webm'), 'file:///a%20b/../c%23.webm');
  assert.equal(filePathOf(fileUriOf('/a b/../c#.webm')), '/a b/../c#.webm');
  assert.equal(absoluteUri('clips/../x.webm', '/var/lib/kurento'), 'file:///var/lib/kurento/clips/../x.webm');
});

test('inside a folder means inside once the file system resolved the path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kuroshio-file-uri-'));
  try {
    const root = join(dir, 'root');
    await mkdir(join(root, 'sub'), { recursive: true });
    await symlink(dir, join(root, 'escape'));
    assert.ok(isInside(join(root, 'new.webm'), root));
    assert.ok(isInside(`${root}/sub/../new.webm`, root));
    assert.ok(!isInside(`${root}/missing/../new.webm`, root), 'through a folder that does not exist');
    assert.ok(!isInside(`${root}/../new.webm`, root));
    assert.ok(!isInside(`${root}/escape/new.webm`, root), 'through a symbolic link out');
    assert.ok(!isInside(`${root}-other/new.webm`, root));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
