import { parseArgs } from 'node:util';
import type { FlagSpec, FlagValue } from './flags.js';

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {}

export type ParsedFlags = Record<string, FlagValue | undefined>;

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Decimal notation only: Number() would also read hex (0x10), binary, octal, '' and 'Infinity'. */
const INTEGER = /^-?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseValue(name: string, spec: FlagSpec, raw: string): FlagValue {
  const intOf = (s: string, what: string): number => {
    const v = Number(s);
    if (!INTEGER.test(s.trim()) || !Number.isSafeInteger(v)) throw new UsageError(`--${name} expects ${what}, got "${raw}"`);
    if (spec.min !== undefined && v < spec.min) throw new UsageError(`--${name} expects ${spec.type === 'int' ? 'an integer' : 'values'} >= ${spec.min}, got ${v}`);
    return v;
  };
  switch (spec.type) {
    case 'int': return intOf(raw, 'an integer');
    case 'intList': {
      const parts = raw.split(',');
      if (parts.some((p) => p.trim() === '')) throw new UsageError(`--${name} expects a comma-separated list of integers, got "${raw}"`);
      return parts.map((p) => intOf(p, 'a comma-separated list of integers'));
    }
    case 'number': {
      const v = Number(raw);
      if (!DECIMAL.test(raw.trim()) || !Number.isFinite(v)) throw new UsageError(`--${name} expects a number, got "${raw}"`);
      if (spec.min !== undefined && v < spec.min) throw new UsageError(`--${name} expects a number >= ${spec.min}, got ${v}`);
      return v;
    }
    case 'bool': return true;
    default:
      if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`--${name} expects one of ${spec.choices.join(', ')}, got "${raw}"`);
      return raw;
  }
}

/** A value that is really the next flag (`--k --json`), not a negative number (`--reg -1`, refused later with its range). */
const looksLikeFlag = (value: string) => value.startsWith('-') && !DECIMAL.test(value);

/**
 * Parses a command's arguments with node:util's parseArgs (`--flag value`, `--flag=value`, `-k 5`,
 * `-k5`, boolean `--flag`), then checks each value against its spec. Unknown flags, stray
 * arguments, missing values and bad values are UsageErrors, reported in the order they appear.
 * Flags not given take their `default` (undefined when the default depends on the data).
 */
export function parseFlags(argv: string[], specs: Record<string, FlagSpec>): ParsedFlags {
  const out: ParsedFlags = {};
  for (const [name, spec] of Object.entries(specs)) out[camel(name)] = spec.default;
  for (const token of tokensOf(argv, specs)) {
    if (token.kind === 'positional') throw new UsageError(`Unexpected argument "${token.value}"`);
    if (token.kind === 'option-terminator') continue;
    const spec = specs[token.name];
    if (!spec) throw new UsageError(`Unknown flag ${token.rawName}`);
    const name = token.name;
    if (spec.type === 'bool') {
      if (token.value !== undefined) throw new UsageError(`--${name} takes no value`);
      out[camel(name)] = true;
      continue;
    }
    if (token.value === undefined || (!token.inlineValue && looksLikeFlag(token.value))) throw new UsageError(`--${name} needs a value`);
    out[camel(name)] = parseValue(name, spec, token.value);
  }
  return out;
}

/** True when the arguments ask for `flag` (e.g. help), whatever else they hold: it wins over mistakes. */
export function asks(argv: string[], specs: Record<string, FlagSpec>, flag: string): boolean {
  return specs[flag] !== undefined && tokensOf(argv, specs).some((t) => t.kind === 'option' && t.name === flag);
}

/** parseArgs' tokens, in order; not strict, so that every mistake gets our own one-line message. */
function tokensOf(argv: string[], specs: Record<string, FlagSpec>) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type === 'bool' ? 'boolean' : 'string', ...(spec.short ? { short: spec.short } : {}) };
  }
  return parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true }).tokens;
}

function valueName(spec: FlagSpec): string {
  if (spec.type === 'bool') return '';
  return ` ${spec.choices ? spec.choices.join('|') : spec.value ?? 'VALUE'}`;
}

function flagLabel(name: string, spec: FlagSpec): string {
  return `${spec.short ? `-${spec.short}, ` : '    '}--${name}${valueName(spec)}`;
}

/** `[-d DIR] [-k N] [--json]`, wrapped to lines of at most `width` characters after `prefix`. */
export function usageLine(prefix: string, specs: Record<string, FlagSpec>, width = 100): string {
  const parts = Object.entries(specs).filter(([name]) => name !== 'help' && name !== 'version')
    .map(([name, spec]) => `[${spec.short ? `-${spec.short}` : `--${name}`}${valueName(spec)}]`);
  const lines: string[] = [];
  let line = prefix;
  for (const part of parts) {
    if (line.length + 1 + part.length > width && line.trim() !== '') {
      lines.push(line);
      line = ' '.repeat(prefix.length);
    }
    line += ` ${part}`;
  }
  lines.push(line);
  return lines.join('\n');
}

function defaultOf(spec: FlagSpec): string {
  if (spec.defaultText !== undefined) return ` (default: ${spec.defaultText})`;
  if (spec.default === undefined || spec.type === 'bool') return '';
  return ` (default: ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)})`;
}

/** Words of `text` in lines of at most `width` characters, each line after the first indented by `indent`. */
export function wrap(text: string, width: number, indent = 0): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width - (lines.length ? indent : 0)) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const WIDTH = 100;

/** The --help text of a command: usage, summary, then one line per flag with its default, then notes. */
export function helpText(command: string, summary: string, specs: Record<string, FlagSpec>, notes: string[] = []): string {
  const labels = Object.values(specs).map((spec, i) => `  ${flagLabel(Object.keys(specs)[i]!, spec)}`);
  const column = Math.min(30, Math.max(...labels.map((l) => l.length)) + 2);
  const lines = [usageLine(`Usage: simdclass ${command}`, specs, WIDTH), '', wrap(summary, WIDTH), '', 'Options:'];
  Object.values(specs).forEach((spec, i) => {
    const label = labels[i]!;
    const text = wrap(spec.help + defaultOf(spec), WIDTH - column, column);
    lines.push(label.length >= column ? `${label}\n${' '.repeat(column)}${text}` : label.padEnd(column) + text);
  });
  for (const note of notes) lines.push('', wrap(note, WIDTH));
  return lines.join('\n');
}
