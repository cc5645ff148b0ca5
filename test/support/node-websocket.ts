// The widget's socket (src/app/socket.ts) uses the platform's WebSocket. Node 20 has none, and happy-dom's sends the
// test page's origin (about:blank), which the gateway refuses: tests that run the widget against a real gateway in
// Node use `ws`, which sends no Origin, as socket.io-client in Node did.
import { WebSocket } from 'ws';

(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
