// The lecture's SVM-vs-softmax questions, asked of the library's svmLoss and softmaxLoss. With W the
// identity and no regularization, the scores are the input row itself, so each question's scores go
// in as they are (correct class first). The expected values come from the formulas, in float64:
// SVM L_i = sum_{j != y} max(0, s_j - s_y + 1); softmax L_i = -s_y + log(sum_j exp(s_j)).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, svmLoss, softmaxLoss } from '../dist/node.js';

await init();

const C = 3;
const IDENTITY = { data: Float32Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0)), rows: C, cols: C };
const svm = (s) => svmLoss(IDENTITY, { data: Float32Array.from(s), rows: 1, cols: C }, [0], 0).loss;
const softmax = (s) => softmaxLoss(IDENTITY, { data: Float32Array.from(s), rows: 1, cols: C }, [0], 0).loss;

const svmFormula = (s) => s.reduce((sum, sj, j) => sum + (j === 0 ? 0 : Math.max(0, sj - s[0] + 1)), 0);
function softmaxFormula(s) {
  // log(sum exp(s_j)) - s_y, as log(1 + sum_{j != y} exp(s_j - s_y)) so that 2e-48 is not lost to rounding.
  return Math.log1p(s.slice(1).reduce((sum, sj) => sum + Math.exp(sj - s[0]), 0));
}
/** f32 kernels: within 1e-5 relative, or 1e-7 absolute (a loss of 2e-48 is 0 in f32). */
const close = (actual, expected) => Math.abs(actual - expected) <= Math.max(1e-7, 1e-5 * Math.abs(expected));

const QUESTIONS = [[10, -2, 3], [10, 9, 9], [10, -100, -100]];

const Q = suite('SVM vs softmax (the lecture\'s questions)');

Q('scores [10, -2, 3], [10, 9, 9], [10, -100, -100]: SVM loss 0 for all three, three different softmax losses', () => {
  const softmaxLosses = [];
  for (const s of QUESTIONS) {
    assert.is(svmFormula(s), 0, `the formula: ${s}`);
    assert.is(svm(s), 0, `svmLoss of ${s}: every margin is met`);
    const expected = softmaxFormula(s);
    assert.ok(expected > 0, `softmax is never satisfied: ${expected}`);
    const actual = softmax(s);
    assert.ok(close(actual, expected), `softmaxLoss of ${s}: ${actual}, formula ${expected}`);
    softmaxLosses.push(actual);
  }
  // [10, 9, 9] (log(1 + 2/e) = 0.551) > [10, -2, 3] (9.1e-4) > [10, -100, -100] (2e-48, which f32 holds as 0 or a hair above).
  assert.ok(close(softmaxLosses[1], Math.log(1 + 2 / Math.E)));
  assert.ok(softmaxLosses[1] > softmaxLosses[0] && softmaxLosses[0] > softmaxLosses[2], `ordered: ${softmaxLosses}`);
  assert.is(new Set(softmaxLosses).size, 3, `three different losses: ${softmaxLosses}`);
});

Q('doubling the correct score from 10 to 20 leaves the SVM loss at 0 and lowers the softmax loss', () => {
  for (const s of QUESTIONS) {
    const doubled = [20, ...s.slice(1)];
    assert.is(svm(doubled), 0, `svmLoss of ${doubled}`);
    assert.ok(softmaxFormula(doubled) < softmaxFormula(s), `the formula: lower for ${doubled}`);
    assert.ok(close(softmax(doubled), softmaxFormula(doubled)), `softmaxLoss of ${doubled}: ${softmax(doubled)}, formula ${softmaxFormula(doubled)}`);
    assert.ok(softmax(doubled) <= softmax(s), `softmaxLoss does not rise: ${softmax(s)} -> ${softmax(doubled)}`);
  }
  // Where f32 can tell (the loss is not below its resolution), strictly lower.
  assert.ok(softmax([20, 9, 9]) < softmax([10, 9, 9]), `${softmax([10, 9, 9])} -> ${softmax([20, 9, 9])}`);
  assert.ok(softmax([20, -2, 3]) < softmax([10, -2, 3]), `${softmax([10, -2, 3])} -> ${softmax([20, -2, 3])}`);
});

Q('the SVM loss does notice a margin that is not met, and both losses average over rows', () => {
  assert.is(svm([10, 9.5, 9]), 0.5, 'margin 1: 9.5 - 10 + 1');
  assert.ok(close(svm([3.2, 5.1, -1.7]), svmFormula([3.2, 5.1, -1.7])), 'the lecture\'s cat example, correct class first: 2.9');
  const rows = { data: Float32Array.from(QUESTIONS.flat()), rows: 3, cols: C };
  assert.is(svmLoss(IDENTITY, rows, [0, 0, 0], 0).loss, 0);
  const mean = QUESTIONS.reduce((sum, s) => sum + softmaxFormula(s), 0) / 3;
  assert.ok(close(softmaxLoss(IDENTITY, rows, [0, 0, 0], 0).loss, mean));
});

Q.run();
