/**
 * The benchmark's baseline: the smallest JSON-RPC server over WebSocket there is. It parses each
 * request and answers it with one canned result, so whatever Kuroshio costs beyond this is the
 * protocol layer's own work (validation, sessions, registry, worker IPC).
 *
 * Prints `{"port":N}` on stdout once listening; ends on SIGTERM.
 */
import { WebSocketServer } from 'ws';

const CANNED = { value: 'echo', sessionId: 'echo-session' };

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.on('message', (data) => {
    const request = JSON.parse(data.toString()) as { id?: unknown };
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id ?? null, result: CANNED }));
  });
});
wss.on('listening', () => {
  const address = wss.address();
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }) + '\n');
});
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
