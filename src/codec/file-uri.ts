/**
 * file:// URIs read the way the file system reads paths. WHATWG URL parsing removes `.` and `..`
 * segments on paper (`file:///rec/missing/../../x.webm` becomes `/x.webm`), while the kernel
 * resolves them one directory at a time and fails when one is missing. A recorder must write
 * where an `open()` of the path it was given would, or nowhere: so the path is taken from the
 * URI as written, percent-decoded, with its dot segments left to the kernel.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';

/** The path of a file:// URI, dot segments kept. Query and fragment are not part of it. */
export function filePathOf(uri: string): string {
  let rest = uri.replace(/^file:/i, '').replace(/[?#][\s\S]*$/, '');
  if (rest.startsWith('//')) {
    // The authority: empty or localhost name this machine; a path starts at the next slash.
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '/' : rest.slice(slash);
  }
  try {
    return decodeURIComponent(rest);
  } catch {
    // A stray '%' is taken literally, as a file name may hold one.
    return rest;
  }
}

/** A file:// URI naming exactly this path (dot segments included). */
export function fileUriOf(path: string): string {
  return `file://${path.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Where a path leads once the file system resolved it (symbolic links and `..` included): the
 * file itself when it exists, else its folder resolved plus its name. Undefined when the folder
 * does not exist either, so the path cannot exist.
 */
export function resolvedPath(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    const name = basename(path);
    if (name === '' || name === '.' || name === '..') return undefined;
    try {
      return join(realpathSync.native(dirname(path)), name);
    } catch {
      return undefined;
    }
  }
}

/** Whether a path, resolved as the file system resolves it, lies inside `root`. */
export function isInside(path: string, root: string): boolean {
  const resolved = resolvedPath(path);
  const top = resolvedPath(root);
  if (resolved === undefined || top === undefined) return false;
  return resolved === top || resolved.startsWith(top.endsWith(sep) ? top : top + sep);
}
