// Node worker entry (worker_threads): see worker-core.ts.
import { parentPort } from 'node:worker_threads';
import { workerHandler, type ToWorker } from './worker-core.js';

const port = parentPort!;
const handle = workerHandler((message) => port.postMessage(message));
port.on('message', (message: ToWorker) => void handle(message));
