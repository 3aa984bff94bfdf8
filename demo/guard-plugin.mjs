// A guard in front of Vite's own servers, for two defects of `vite preview` (8.3.8):
// - it follows a symlink in the output folder to wherever it points (a link to /etc/passwd is served);
// - a malformed percent-encoding in a path ending in .html (`/%E0%A4%A.html`) throws an unhandled
//   URIError in its index.html middleware and ends the process.
import { realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

const answer = (res, status, text) => {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${text}\n`);
};

/** `outDir` (absolute) for the preview server, whose files are checked; none for the dev server. */
function guard(outDir) {
  return async (req, res, next) => {
    const pathname = req.url.split(/[?#]/)[0];
    let decoded;
    try {
      // Vite's static server decodes with decodeURI (leaving %2F etc. as they are), its HTML
      // middlewares with decodeURIComponent: check the file each of them would open.
      decoded = new Set([decodeURI(pathname), decodeURIComponent(pathname)]);
    } catch {
      return answer(res, 400, 'Bad Request');
    }
    // Every await below is caught: connect does not handle a rejected middleware (Node would exit).
    const root = outDir && await realpath(outDir).catch(() => null);
    if (!root) return next();
    for (const path of decoded) {
      // The path itself, and what Vite may serve in its place: `/a` -> a.html (HTML fallback),
      // `/a/` -> a/index.html, and `/a` -> a/index (static server).
      for (const candidate of [path, `${path}.html`, `${path}/index.html`, `${path}/index`]) {
        const real = await realpath(join(outDir, candidate)).catch(() => null);
        if (real === null) continue;
        const stats = await stat(real).catch(() => null);
        const inside = real === root || real.startsWith(root + sep);
        if (!inside || !(stats?.isFile() || stats?.isDirectory())) return answer(res, 404, 'Not Found');
      }
    }
    next();
  };
}

export function guardPlugin() {
  return {
    name: 'simdclass-demo-guard',
    // Added in the hook itself (no returned post-hook), so the guard runs before Vite's middlewares.
    configureServer(server) {
      server.middlewares.use(guard(null));
    },
    configurePreviewServer(server) {
      const { root, build } = server.config;
      server.middlewares.use(guard(resolve(root, build.outDir)));
    },
  };
}
