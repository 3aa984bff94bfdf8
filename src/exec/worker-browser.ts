// Browser worker entry (a module Web Worker): see worker-core.ts.
import { workerHandler, type FromWorker, type ToWorker } from './worker-core.js';

const scope = globalThis as unknown as { postMessage(message: FromWorker): void; onmessage: ((event: { data: ToWorker }) => void) | null };
const handle = workerHandler((message) => scope.postMessage(message));
scope.onmessage = (event) => void handle(event.data);
