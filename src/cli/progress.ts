/** Progress on stderr: a redrawn bar on a terminal, a plain line every 10% otherwise. Never on stdout. */
export class Progress {
  private readonly start = Date.now();
  private lastDecile = -1;
  private lastDraw = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly label: string, private readonly total: number) {}

  update(done: number, note = ''): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const elapsed = (Date.now() - this.start) / 1000;
    const eta = fraction > 0 ? elapsed * (1 / fraction - 1) : 0;
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 80 && fraction < 1) return;
      this.lastDraw = now;
      const width = 24, filled = Math.round(fraction * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      process.stderr.write(`\r\x1b[K${this.label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${this.total}` +
        ` ${fraction < 1 ? `eta ${eta.toFixed(0)}s` : `${elapsed.toFixed(1)}s`}${note ? ` ${note}` : ''}`);
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile === this.lastDecile) return;
      this.lastDecile = decile;
      process.stderr.write(`${this.label}: ${(fraction * 100).toFixed(0)}% (${done}/${this.total})${note ? ` ${note}` : ''}\n`);
    }
  }

  finish(note = ''): void {
    this.update(this.total, note);
    if (this.tty) process.stderr.write('\n');
  }
}

/** A status line on stderr. */
export function status(message: string): void {
  process.stderr.write(`${message}\n`);
}
