// Every command-line flag, in one table: a flag is one entry, and `in` lists the commands that take
// it. Help texts, usage lines and parsing all come from here, so --help always matches the flags.

export type CommandName = 'demo' | 'knn' | 'linear' | 'cv' | 'predict' | 'bench';
export type FlagType = 'int' | 'number' | 'string' | 'bool' | 'intList';
export type FlagValue = string | number | boolean | number[];

export interface FlagSpec {
  type: FlagType;
  help: string;
  /** The commands that take this flag (`'*'`: every command, and `simdclass` alone). */
  in: readonly CommandName[] | '*';
  /** A one-letter alias: `-k 5`. */
  short?: string;
  /** The value's name in help texts: `--data DIR`. */
  value?: string;
  default?: FlagValue;
  /** Shown as the default when it is not a fixed value (it depends on the data). */
  defaultText?: string;
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  /** Smallest allowed value of an int or number, or of each entry of a list. */
  min?: number;
  /** Per-command help, default or default text, where one command differs from the others. */
  for?: Partial<Record<CommandName, Partial<Pick<FlagSpec, 'help' | 'default' | 'defaultText'>>>>;
}

const MODELS = ['demo', 'knn', 'linear', 'cv'] as const;
const EMBEDDED = 'the embedded Fashion-MNIST sample';

/** The library's kNN defaults (new KNearestNeighbor(), crossValidateKnn): the lecture's nearest neighbour, L2. */
export const KNN_DEFAULTS = { k: 1, metric: 'l2' } as const;

export const FLAGS: Record<string, FlagSpec> = {
  model: { type: 'string', value: 'FILE', in: ['predict'], help: 'A model saved by simdclass (knn or linear --save, or any save())' },
  data: { type: 'string', short: 'd', value: 'DIR', in: [...MODELS, 'predict', 'bench'], help: 'IDX or CIFAR-10 binary folder', defaultText: EMBEDDED,
    for: { bench: { help: 'Fashion-MNIST IDX folder', defaultText: `/usr/share/datasets/fashion-mnist if present, else ${EMBEDDED}` } } },
  k: { type: 'int', min: 1, short: 'k', value: 'N', in: ['knn'], help: 'Neighbours that vote', default: KNN_DEFAULTS.k },
  metric: { type: 'string', short: 'm', choices: ['l1', 'l2'], in: ['knn', 'cv'], help: 'Distance', default: KNN_DEFAULTS.metric },
  algorithm: { type: 'string', choices: ['auto', 'brute', 'pyramid'], in: ['knn', 'cv'], help: 'Neighbour search: every distance, exact block-sum pyramids (u8 L1/L2; same neighbours), or whichever a timed sample shows faster', default: 'auto' },
  ks: { type: 'intList', min: 1, value: 'LIST', in: ['cv'], help: 'Values of k to compare',
    defaultText: '1,3,5,8,10,12,15,20,50,100, those that fit the smallest training fold' },
  folds: { type: 'int', min: 2, value: 'N', in: ['cv'], help: 'Number of contiguous folds', default: 5 },
  loss: { type: 'string', short: 'l', choices: ['svm', 'softmax'], in: ['linear'], help: 'Loss to minimize', default: 'svm' },
  'learning-rate': { type: 'number', min: 0, value: 'X', in: ['linear'], help: 'SGD step size', defaultText: '1e-7 on CIFAR-10, 3e-6 on IDX' },
  reg: { type: 'number', min: 0, value: 'X', in: ['linear'], help: 'L2 regularization strength', defaultText: '2.5e4 on CIFAR-10, 1e2 on IDX' },
  iters: { type: 'int', min: 1, value: 'N', in: ['linear'], help: 'SGD iterations', default: 1500 },
  'batch-size': { type: 'int', min: 1, value: 'N', in: ['linear'], help: 'Rows per minibatch', default: 200 },
  seed: { type: 'int', min: 0, value: 'N', in: ['linear'], help: 'Seed for the weights and the minibatches', default: 0 },
  'train-limit': { type: 'int', min: 1, value: 'N', in: MODELS, help: 'Use the first N training images', defaultText: 'all' },
  'test-limit': { type: 'int', min: 1, value: 'N', in: ['demo', 'knn', 'linear', 'predict'], help: 'Use the first N test images', defaultText: 'all' },
  save: { type: 'string', value: 'FILE', in: ['knn', 'linear'], help: 'Write the trained model to this file (a .json path: the linear model as JSON; otherwise a binary model file)' },
  plot: { type: 'string', value: 'FILE', in: ['cv'], help: 'Write the accuracy-vs-k plot (SVG) to this file' },
  out: { type: 'string', short: 'o', value: 'PATH', in: ['demo', 'predict'], help: 'Write the predictions as CSV (index,label,predicted) to this file',
    for: { demo: { help: 'Folder for the HTML report', default: 'simdclass-report' } } },
  quick: { type: 'bool', short: 'q', in: ['demo', 'bench'], help: 'A smaller search (a smoke test)',
    for: { bench: { help: 'Tiny sizes, a smoke test (under a minute)' } } },
  filter: { type: 'string', value: 'TEXT', in: ['bench'], help: 'Run only the suites whose name contains this text' },
  peers: { type: 'bool', in: ['bench'], help: 'Also run the peers (numpy, TensorFlow.js wasm, ml-knn) as separate processes' },
  threads: { type: 'int', min: 0, value: 'N', in: [...MODELS, 'predict', 'bench'], help: "Worker threads for the kernels (0: the caller's thread)", defaultText: "the machine's cores",
    for: { bench: { help: 'Most worker threads in the thread-scaling suites (at least 1)' } } },
  json: { type: 'bool', in: ['knn', 'linear', 'cv', 'predict', 'bench'], help: 'Print one JSON object on stdout' },
  help: { type: 'bool', short: 'h', in: '*', help: 'Show this help' },
  version: { type: 'bool', short: 'v', in: '*', help: 'Print the version' },

};

/** The flags of one command in table order, with its per-command help and defaults applied. */
export function flagsOf(command: CommandName): Record<string, FlagSpec> {
  const out: Record<string, FlagSpec> = {};
  for (const [name, spec] of Object.entries(FLAGS)) {
    if (spec.in !== '*' && !spec.in.includes(command)) continue;
    out[name] = { ...spec, ...spec.for?.[command] };
  }
  return out;
}
