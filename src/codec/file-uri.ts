/**
 * file:// URIs read the way the file system reads paths. WHATWG URL parsing removes `.` and `..`
 * segments on paper (`file:///rec/missing/../../x.webm` becomes `/x.webm`), while the kernel
 * resolves them one directory at a time and fails when one is missing. A recorder must write
 * where an `open()` of the path it was given would, or nowhere: so the path is taken from the
 * URI as written, percent-decoded, with its dot segments left to the kernel.
 */

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
