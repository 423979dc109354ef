/**
 * The TCP and UDP sockets a process holds open, read from Linux's /proc: its file descriptors
 * name socket inodes, and /proc/net/{tcp,udp}{,6} give each inode's local and remote ports. A
 * socket the process closed is gone from its descriptors, whatever state the kernel keeps it in.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface ProcSocket {
  readonly protocol: 'tcp' | 'udp';
  readonly localPort: number;
  readonly remotePort: number;
}

export async function socketsOf(pid: number): Promise<ProcSocket[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    let link: string;
    try {
      link = await readlink(`/proc/${pid}/fd/${fd}`);
    } catch (err) {
      // A descriptor closed between readdir and readlink: not open any more.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  const sockets: ProcSocket[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    for (const table of [protocol, `${protocol}6`]) {
      const lines = (await readFile(`/proc/${pid}/net/${table}`, 'utf8')).split('\n').slice(1);
      for (const line of lines) {
        const fields = line.trim().split(/\s+/);
        if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
        const port = (address: string): number => parseInt(address.slice(address.indexOf(':') + 1), 16);
        sockets.push({ protocol, localPort: port(fields[1]!), remotePort: port(fields[2]!) });
      }
    }
  }
  return sockets;
}
