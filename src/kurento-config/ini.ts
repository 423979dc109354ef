/**
 * The `.conf.ini` files of a Kurento configuration folder, read as KMS reads them (Boost's INI
 * parser): `key=value` lines, `;` (or `#`) comment lines, optional `[section]` headers, names and
 * values trimmed. What Boost refuses is refused here too, with the file and line named: a line
 * without `=`, an empty key, a key given twice, an unclosed section header.
 *
 * Not the `ini` package: it accepts anything (a typo becomes a key holding `true`), and a media
 * server that silently ignores half a line of its configuration is what this must avoid.
 */

export class IniSyntaxError extends Error {}

/** Keys at the top level are under ''; a section's keys under its name. */
export type IniSections = Map<string, Map<string, string>>;

export function parseIni(text: string, file: string): IniSections {
  const sections: IniSections = new Map([['', new Map()]]);
  let current = sections.get('')!;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const where = `${file}:${i + 1}`;
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new IniSyntaxError(`${where}: section header without a closing ']': ${line}`);
      const name = line.slice(1, -1).trim();
      if (name === '') throw new IniSyntaxError(`${where}: empty section name`);
      if (sections.has(name)) throw new IniSyntaxError(`${where}: section [${name}] appears twice`);
      current = new Map();
      sections.set(name, current);
      continue;
    }
    const equals = line.indexOf('=');
    if (equals < 0) throw new IniSyntaxError(`${where}: expected key=value, got: ${line}`);
    const key = line.slice(0, equals).trim();
    if (key === '') throw new IniSyntaxError(`${where}: a value without a key: ${line}`);
    if (current.has(key)) throw new IniSyntaxError(`${where}: '${key}' is set twice`);
    current.set(key, line.slice(equals + 1).trim());
  }
  return sections;
}
