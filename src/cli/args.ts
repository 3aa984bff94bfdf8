/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {}

export type FlagType = 'int' | 'number' | 'string' | 'bool' | 'intList';

export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean | number[];
  /** Allowed values for a string flag. */
  choices?: string[];
  /** Smallest allowed value for int / number / each list entry. */
  min?: number;
}

export type ParsedFlags = Record<string, string | number | boolean | number[] | undefined>;

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Decimal notation only: Number() would also read hex (0x10), binary, octal, '' and 'Infinity'. */
const INTEGER = /^-?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseValue(name: string, spec: FlagSpec, raw: string): string | number | number[] {
  const intOf = (s: string, what: string): number => {
    const v = Number(s);
    if (!INTEGER.test(s.trim()) || !Number.isSafeInteger(v)) throw new UsageError(`--${name} expects ${what}, got "${raw}"`);
    if (spec.min !== undefined && v < spec.min) throw new UsageError(`--${name} expects values >= ${spec.min}, got ${v}`);
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
    default:
      if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`--${name} expects one of ${spec.choices.join(', ')}, got "${raw}"`);
      return raw;
  }
}

/** Parses `--flag value`, `--flag=value` and boolean `--flag`; unknown flags and missing values are UsageErrors. */
export function parseFlags(argv: string[], specs: Record<string, FlagSpec>): ParsedFlags {
  const out: ParsedFlags = {};
  for (const [name, spec] of Object.entries(specs)) out[camel(name)] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`Unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`Unknown flag --${name}`);
    if (spec.type === 'bool') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out[camel(name)] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      raw = argv[i + 1];
      if (raw === undefined || raw.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    out[camel(name)] = parseValue(name, spec, raw);
  }
  return out;
}

/** The --help text of a command: usage line, then one line per flag. */
export function helpText(usage: string, summary: string, specs: Record<string, FlagSpec>): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options:'];
  for (const [name, spec] of Object.entries(specs)) {
    const value = spec.type === 'bool' ? '' : spec.choices ? ` ${spec.choices.join('|')}` : ` ${spec.type === 'intList' ? 'LIST' : spec.type === 'string' ? 'VALUE' : 'N'}`;
    const def = spec.default !== undefined && spec.type !== 'bool' ? ` (default ${String(spec.default)})` : '';
    lines.push(`  --${name}${value}`.padEnd(30) + spec.help + def);
  }
  lines.push('  --help'.padEnd(30) + 'Show this help');
  return lines.join('\n');
}
