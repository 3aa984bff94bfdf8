#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { SimdclassError } from '../errors.js';
import { asks, helpText, parseFlags, UsageError, wrap, type ParsedFlags } from './args.js';
import { flagsOf, type CommandName } from './flags.js';

interface Command {
  summary: string;
  /** Lines after the options in --help: rules behind defaults, what goes where. */
  notes?: string[];
  run: (flags: ParsedFlags) => Promise<void>;
}

const OUTPUT_NOTE = 'Progress and notes go to stderr; results to stdout. Exit code 0 on success, 2 on bad arguments, 1 on other errors.';

const commands: Record<CommandName, Command> = {
  demo: {
    summary: 'Compares kNN, linear SVM and softmax the lecture\'s way and writes an HTML report (default data: the embedded ' +
      'Fashion-MNIST sample). Picks k by cross-validation (for L1 and for L2) and learning rate and reg on a validation split ' +
      '(widening the grid at its edges), evaluates each chosen model once on the test set, keeps the one with the best validation ' +
      'accuracy, prints a table and writes the report.',
    notes: [OUTPUT_NOTE],
    run: async (f) => (await import('./demo.js')).runDemo(f),
  },
  knn: {
    summary: 'Trains k-nearest neighbours on the training set and reports test accuracy.',
    notes: ['The defaults are the library\'s (new KNearestNeighbor()): k = 1, L2. Choose k with `simdclass cv`.', OUTPUT_NOTE],
    run: async (f) => (await import('./knn.js')).runKnn(f),
  },
  linear: {
    summary: 'Trains a linear classifier (multiclass SVM or softmax) by minibatch SGD and reports test accuracy.',
    notes: ['Learning rate and reg default by the kind of data: the lecture\'s values on CIFAR-10 (32x32x3), and on IDX ' +
      '(MNIST, Fashion-MNIST) the values the demo\'s validation search finds on the embedded sample.', OUTPUT_NOTE],
    run: async (f) => (await import('./linear.js')).runLinear(f),
  },
  cv: {
    summary: 'k-fold cross-validation of kNN over a list of k on the training set (contiguous folds, one neighbour search per fold); ' +
      'the test set is not used.',
    notes: ['The default distance is the library\'s (crossValidateKnn, new KNearestNeighbor()): L2.', OUTPUT_NOTE],
    run: async (f) => (await import('./cv.js')).runCv(f),
  },
  predict: {
    summary: 'Loads a saved model (any kind) and predicts the test split of --data, reporting accuracy.',
    notes: ['--model is required. With --out, one CSV line per test image: its index, its label and the prediction.', OUTPUT_NOTE],
    run: async (f) => (await import('./predict.js')).runPredict(f),
  },
  bench: {
    summary: 'Benchmarks the kernels and models against plain JS, the scalar/SIMD/relaxed builds and peers.',
    run: async (f) => (await import('./bench.js')).runBench(f),
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  return ['Usage: simdclass <command> [options]', '       simdclass --help | --version', '', 'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)}${wrap(c.summary.split(/(?<=\.) /)[0]!, 100, 10)}`),
    '', 'Run `simdclass <command> --help` for the options of one command and their defaults.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(`simdclass ${version()}`);
    return 0;
  }
  if (!Object.hasOwn(commands, name)) {
    throw new UsageError(`Unknown ${name.startsWith('-') ? 'flag' : 'command'} "${name}". Commands: ${Object.keys(commands).join(', ')} (simdclass --help)`);
  }
  const command = commands[name as CommandName];
  const specs = flagsOf(name as CommandName);
  if (asks(rest, specs, 'help')) {
    console.log(helpText(name, command.summary, specs, command.notes));
    return 0;
  }
  if (asks(rest, specs, 'version')) {
    console.log(`simdclass ${version()}`);
    return 0;
  }
  await command.run(parseFlags(rest, specs));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const bad = err instanceof UsageError || (err instanceof SimdclassError && (err.code === 'ERR_ARG_RANGE' || err.code === 'ERR_ARG_TYPE'));
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`simdclass: ${message.split('\n')[0]}\n`);
    process.exitCode = bad ? 2 : 1;
  },
);
