// A tiny static file server for the built demo (demo/dist): correct MIME types (application/wasm,
// so WebAssembly.instantiateStreaming works), .gz data files served as bytes (no Content-Encoding,
// the page gunzips them itself), loopback only.
//
//   node demo/serve.mjs [--port 5173] [--dir demo/dist]
//
// Also importable: `const { url, close } = await serveStatic(dir, { port: 0 })` (port 0 = ephemeral).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.gz': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** Serves `dir` on 127.0.0.1; resolves once listening with its URL and a close() function. */
export function serveStatic(dir, { port = 0, host = '127.0.0.1' } = {}) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let file = normalize(join(root, pathname));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end('Forbidden');
        return;
      }
      const info = await stat(file).catch(() => null);
      if (info?.isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file).catch(() => null);
      if (body === null) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Not found: ${pathname}`);
        return;
      }
      res.writeHead(200, {
        'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(String(err));
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolvePromise({
        url: `http://${host}:${actual}/`,
        port: actual,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }),
      });
    });
  });
}

// Command line: node demo/serve.mjs [--port N] [--dir DIR]
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const dir = flag('dir', fileURLToPath(new URL('./dist', import.meta.url)));
  const port = Number(flag('port', process.env.PORT ?? 5173));
  const exists = await stat(join(dir, 'index.html')).catch(() => null);
  if (!exists) {
    console.error(`No built demo in ${dir}: run \`npm run demo:web\` (or \`npx vite build -c demo/vite.config.mjs\`) first.`);
    process.exit(1);
  }
  const { url } = await serveStatic(dir, { port }).catch((err) => {
    console.error(`Could not listen on 127.0.0.1:${port}: ${err.message}. Try --port 0 for any free port.`);
    process.exit(1);
  });
  console.log(`simdclass demo: ${url}  (Ctrl+C to stop)`);
}
