#!/usr/bin/env node
import { SimdclassError } from '../errors.js';
import { helpText, parseFlags, UsageError, type FlagSpec, type ParsedFlags } from './args.js';

interface Command {
  usage: string;
  summary: string;
  flags: () => Promise<Record<string, FlagSpec>>;
  run: (flags: ParsedFlags) => Promise<void>;
}

const commands: Record<string, Command> = {
  demo: {
    usage: 'simdclass demo [--out DIR] [--quick]',
    summary: 'The main job on the embedded Fashion-MNIST sample: picks k by cross-validation, lr/reg on a validation split, evaluates kNN, SVM and softmax on the test set, prints a table and writes an HTML report.',
    flags: async () => (await import('./demo.js')).demoFlags,
    run: async (f) => (await import('./demo.js')).runDemo(f),
  },
  knn: {
    usage: 'simdclass knn --data DIR [--k 5] [--metric l1|l2] [--train-limit N] [--test-limit M] [--json]',
    summary: 'Trains k-nearest neighbours on the training set and reports test accuracy.',
    flags: async () => (await import('./knn.js')).knnFlags,
    run: async (f) => (await import('./knn.js')).runKnn(f),
  },
  linear: {
    usage: 'simdclass linear --data DIR --loss svm|softmax [--learning-rate 1e-7] [--reg 2.5e4] [--iters 1500] [--batch-size 200] [--seed 0] [--train-limit N] [--test-limit M] [--save model.json] [--json]',
    summary: 'Trains a linear classifier by minibatch SGD and reports test accuracy.',
    flags: async () => (await import('./linear.js')).linearFlags,
    run: async (f) => (await import('./linear.js')).runLinear(f),
  },
  cv: {
    usage: 'simdclass cv --data DIR [--ks 1,3,5,8,10,12,15,20,50,100] [--folds 5] [--metric l2] [--train-limit N] [--plot cv.svg] [--json]',
    summary: 'k-fold cross-validation of kNN over a list of k (contiguous folds, one neighbour search per fold).',
    flags: async () => (await import('./cv.js')).cvFlags,
    run: async (f) => (await import('./cv.js')).runCv(f),
  },
  bench: {
    usage: 'simdclass bench [--quick] [--json] [--data DIR] [--filter TEXT] [--peers]',
    summary: 'Benchmarks the kernels and models against plain JS, the scalar/SIMD/relaxed builds and peers.',
    flags: async () => (await import('./bench.js')).benchFlags,
    run: async (f) => (await import('./bench.js')).runBench(f),
  },
};

function usage(): string {
  return ['Usage: simdclass <command> [options]', '', 'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`),
    '', 'Run `simdclass <command> --help` for the options of one command.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`Unknown command "${name}". Commands: ${Object.keys(commands).join(', ')}`);
  const specs = await command.flags();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(command.usage, command.summary, specs));
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
