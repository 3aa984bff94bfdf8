// Progress and notes go to stderr, never stdout, whether or not it is a terminal. On a terminal the
// bar redraws in place; otherwise a plain line every 10% and a final line with the note. Escape
// codes only on a terminal without NO_COLOR (https://no-color.org).

const stderrIsTty = () => Boolean(process.stderr.isTTY);
const noColor = () => process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';

/** Progress of one step on stderr: a redrawn bar on a terminal, plain lines otherwise. */
export class Progress {
  private readonly start = Date.now();
  private lastDecile = -1;
  private lastDraw = 0;
  private drawn = 0;
  private readonly tty = stderrIsTty();
  private readonly escapes = this.tty && !noColor();

  constructor(private readonly label: string, private readonly total: number) {}

  update(done: number, note = ''): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const elapsed = (Date.now() - this.start) / 1000;
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 80 && fraction < 1) return;
      this.lastDraw = now;
      const eta = fraction > 0 ? elapsed * (1 / fraction - 1) : 0;
      const width = 24, filled = Math.round(fraction * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      this.redraw(`${this.label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${this.total}` +
        ` ${fraction < 1 ? `eta ${eta.toFixed(0)}s` : `${elapsed.toFixed(1)}s`}${note ? ` ${note}` : ''}`);
    } else {
      // The last line comes from finish(), with the time and the note.
      const decile = Math.floor(fraction * 10);
      if (decile === this.lastDecile || fraction >= 1) return;
      this.lastDecile = decile;
      process.stderr.write(`${this.label}: ${(fraction * 100).toFixed(0)}% (${done}/${this.total})${note ? ` ${note}` : ''}\n`);
    }
  }

  /** The final line, always printed: 100%, the time taken and the note (such as "best k = 5"). */
  finish(note = ''): void {
    if (this.tty) {
      this.lastDraw = 0;
      this.update(this.total, note ? `· ${note}` : '');
      process.stderr.write('\n');
    } else {
      const seconds = ((Date.now() - this.start) / 1000).toFixed(1);
      process.stderr.write(`${this.label}: 100% (${this.total}/${this.total}) in ${seconds} s${note ? `; ${note}` : ''}\n`);
    }
  }

  /** Rewrites the current terminal line: an erase-line code, or spaces over the old text under NO_COLOR. */
  private redraw(text: string): void {
    const pad = this.escapes ? '' : ' '.repeat(Math.max(0, this.drawn - text.length));
    process.stderr.write(`\r${this.escapes ? '\x1b[K' : ''}${text}${pad}`);
    this.drawn = text.length;
  }
}

/** A note on stderr (never stdout), on a terminal or not. */
export function status(message: string): void {
  process.stderr.write(`${message}\n`);
}
