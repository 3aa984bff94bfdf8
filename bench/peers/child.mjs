// Runs a peer as its own process and reads the one JSON object it prints on stdout; its stderr
// (progress) is passed through to ours, prefixed with the peer's name.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Resolves with the parsed last line of stdout; rejects with the exit status and the stderr tail. */
export function runJsonProcess(label, command, args, { env = process.env, timeoutMs = 30 * 60e3 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) if (line.trim() !== '') process.stderr.write(`    [${label}] ${line}\n`);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${label} exited with ${signal ?? `status ${code}`}: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${label} printed no JSON object on stdout (got ${JSON.stringify(last.slice(0, 200))})`));
      }
    });
  });
}

/** Runs `fn`, turning a failure into { error } so one broken peer does not stop the others. */
export async function attempt(label, fn) {
  try {
    return await fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`    [${label}] failed: ${message}\n`);
    return { error: message };
  }
}
